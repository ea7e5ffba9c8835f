// Images end to end through the CLI (glassvm build, images, image import|rm|path, box run
// --image): whiteouts across layers, instances that share layers but not writes, the build
// cache, imports stored once, removal that keeps shared layers, and a vm image that boots.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <future>

#include "test_box_support.hpp"
#include "test_image_support.hpp"

using namespace glassvm::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> layers_of(const nlohmann::json& build) {
    return build["image"]["layers"].get<std::vector<std::string>>();
}

fs::path layer_fs(const fs::path& store, const std::string& digest) {
    return store / "layers" / digest.substr(7) / "fs";
}

size_t stored_layer_count(const fs::path& store) {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(store / "layers")) ++count;
    return count;
}

}  // namespace

TEST_CASE("images: a file that layer 3 deletes from layer 1 is absent in an instance", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("whiteout");
    make_context(directory / "context",
                 "FROM scratch\nCOPY rootfs /\nRUN echo two > /two\nRUN rm /etc/issue\nCMD cat /two\n",
                 CopyRootfs::Yes);
    nlohmann::json build = build_json(directory / "store", directory / "context", "deleting");
    std::vector<std::string> layers = layers_of(build);
    REQUIRE(layers.size() == 3);

    ProcessResult run =
        run_in_image(directory / "store", "deleting", "test -e /etc/issue && echo present || echo absent; cat /two");
    INFO(run.out << run.err);
    REQUIRE(run.exit_status == 0);
    CHECK(run.out == "absent\ntwo\n");
    // Layer 1 still has the file (layers are never changed); layer 3 holds the deletion, as a
    // whiteout in its tar and as overlayfs's 0/0 device on disk.
    CHECK(fs::is_regular_file(layer_fs(directory / "store", layers[0]) / "etc/issue"));
    CHECK(fs::is_character_file(fs::symlink_status(layer_fs(directory / "store", layers[2]) / "etc/issue")));
    ProcessResult listing =
        run_process({"tar", "-tf", (directory / "store/layers" / layers[2].substr(7) / "layer.tar").string()});
    CHECK_THAT(listing.out, Catch::Contains("etc/.wh.issue"));
    ProcessResult default_command = run_process(
        {build_path("glassvm"), "box", "run", "--image", "deleting", "--store", (directory / "store").string()});
    CHECK(default_command.out == "two\n");
}

TEST_CASE("images: two instances of one image write the same path and each sees only its own", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("instances");
    make_context(directory / "context", "FROM scratch\nCOPY rootfs /\n", CopyRootfs::Yes);
    nlohmann::json build = build_json(directory / "store", directory / "context", "shared");
    const std::string script = "echo $WHO > /etc/issue; sleep 1; cat /etc/issue";
    auto first = std::async(std::launch::async, [&] {
        return run_in_image(directory / "store", "shared", script, {"-e", "WHO=first"});
    });
    auto second = std::async(std::launch::async, [&] {
        return run_in_image(directory / "store", "shared", script, {"-e", "WHO=second"});
    });
    ProcessResult one = first.get(), two = second.get();
    INFO(one.out << one.err << two.out << two.err);
    CHECK(one.out == "first\n");
    CHECK(two.out == "second\n");
    // The shared layer is untouched, and a third instance starts from it.
    std::string original = read_text(box_rootfs() + "/etc/issue");
    CHECK(read_text(layer_fs(directory / "store", layers_of(build)[0]) / "etc/issue") == original);
    ProcessResult third = run_in_image(directory / "store", "shared", "cat /etc/issue");
    CHECK(third.out == original);
    CHECK(fs::is_empty(directory / "store/tmp"));  // the instances' upper directories are gone
}

TEST_CASE("images: a rebuild with one changed step reuses the layers before it", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("cache");
    fs::path context = directory / "context";
    make_context(context, "FROM scratch\nCOPY rootfs /\nRUN echo a > /a\nCOPY data /data\nRUN cat /data > /copy\n",
                 CopyRootfs::Yes);
    write_text(context / "data", "version one\n");
    nlohmann::json first = build_json(directory / "store", context, "cached");
    for (const auto& step : first["steps"]) CHECK_FALSE(step["cached"].get<bool>());

    write_text(context / "data", "version two\n");
    nlohmann::json second = build_json(directory / "store", context, "cached");
    REQUIRE(second["steps"].size() == 4);
    CHECK(second["steps"][0]["cached"].get<bool>());
    CHECK(second["steps"][1]["cached"].get<bool>());
    CHECK(layers_of(second)[0] == layers_of(first)[0]);
    CHECK(layers_of(second)[1] == layers_of(first)[1]);
    CHECK_FALSE(second["steps"][2]["cached"].get<bool>());
    CHECK_FALSE(second["steps"][3]["cached"].get<bool>());
    CHECK(layers_of(second)[2] != layers_of(first)[2]);
    CHECK(run_in_image(directory / "store", "cached", "cat /copy").out == "version two\n");

    nlohmann::json third = build_json(directory / "store", context, "cached");
    for (const auto& step : third["steps"]) CHECK(step["cached"].get<bool>());
    CHECK(third["image"]["id"] == second["image"]["id"]);
}

TEST_CASE("images: an imported tar is stored once and runs as an image", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("import");
    fs::path tar = directory / "rootfs.tar";
    REQUIRE(run_process({"tar", "-C", box_rootfs(), "-cf", tar.string(), "."}).exit_status == 0);
    ProcessResult first = glassvm_with_store(directory / "store", {"image", "import", tar.string(), "-t", "one"});
    ProcessResult second = glassvm_with_store(directory / "store", {"image", "import", tar.string(), "-t", "two"});
    INFO(first.out << first.err << second.out << second.err);
    REQUIRE(first.exit_status == 0);
    REQUIRE(second.exit_status == 0);
    CHECK(stored_layer_count(directory / "store") == 1);
    // Same layers, same config: one image, which now carries the later name.
    CHECK(first.out == second.out);
    ProcessResult run = run_in_image(directory / "store", "two", "cat /etc/issue");
    CHECK(run.out == read_text(box_rootfs() + "/etc/issue"));
    ProcessResult listing = glassvm_with_store(directory / "store", {"images"});
    CHECK_THAT(listing.out, Catch::Contains("two:latest"));
}

TEST_CASE("images: removing an image keeps the layers another image shares", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("remove");
    make_context(directory / "base", "FROM scratch\nCOPY rootfs /\n", CopyRootfs::Yes);
    make_context(directory / "derived", "FROM base\nRUN echo derived > /d\nCMD cat /d\n", CopyRootfs::No);
    nlohmann::json base = build_json(directory / "store", directory / "base", "base");
    nlohmann::json derived = build_json(directory / "store", directory / "derived", "derived");
    REQUIRE(layers_of(derived).size() == 2);
    CHECK(layers_of(derived)[0] == layers_of(base)[0]);

    REQUIRE(glassvm_with_store(directory / "store", {"image", "rm", "base"}).exit_status == 0);
    CHECK(stored_layer_count(directory / "store") == 2);
    CHECK(run_in_image(directory / "store", "derived", "cat /d").out == "derived\n");
    ProcessResult listing = glassvm_with_store(directory / "store", {"images", "--json"});
    nlohmann::json images = nlohmann::json::parse(listing.out);
    REQUIRE(images.size() == 1);
    CHECK(images[0]["name"] == "derived:latest");

    REQUIRE(glassvm_with_store(directory / "store", {"image", "rm", "derived"}).exit_status == 0);
    CHECK(stored_layer_count(directory / "store") == 0);
    ProcessResult missing = glassvm_with_store(directory / "store", {"image", "rm", "derived"});
    CHECK(missing.exit_status == 2);
    CHECK_THAT(missing.err, Catch::Contains("no image 'derived'"));
}

TEST_CASE("images: a failing RUN step names its Glassfile line", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("failing");
    make_context(directory / "context", "FROM scratch\nCOPY rootfs /\n\nRUN exit 3\n", CopyRootfs::Yes);
    ProcessResult result =
        glassvm_with_store(directory / "store", {"build", (directory / "context").string(), "-t", "x"});
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("Glassfile:4: RUN exited with status 3"));
    CHECK(fs::is_empty(directory / "store/images"));
}

TEST_CASE("images: a vm image carries its kernel and init, and boots from them", "[kvm][image]") {
    require_root();
    require_kvm();
    fs::path directory = fresh_image_test_directory("vm");
    fs::path context = directory / "context";
    make_context(context,
                 "FROM scratch\nCOPY guest.elf /boot/\nCOPY probe /sbin/probe\nKIND vm\n"
                 "KERNEL /boot/guest.elf\nINIT /sbin/probe\nCMDLINE hostname=from-image -- 5\nMEMORY 32M\n",
                 CopyRootfs::No);
    fs::copy_file(build_path("guest/glassvm-guest.elf"), context / "guest.elf");
    fs::copy_file(build_path("workloads/probe"), context / "probe");
    nlohmann::json build = build_json(directory / "store", context, "vm");
    CHECK(build["image"]["config"]["kind"] == "vm");
    ProcessResult kernel = glassvm_with_store(directory / "store", {"image", "path", "vm", "/boot/guest.elf"});
    ProcessResult init = glassvm_with_store(directory / "store", {"image", "path", "vm", "/sbin/probe"});
    REQUIRE(kernel.exit_status == 0);
    REQUIRE(init.exit_status == 0);
    auto line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
    ProcessResult boot =
        run_process({build_path("glassvm"), "run", "--kernel", line(kernel.out), "--init", line(init.out), "--cmdline",
                     build["image"]["config"]["vm"]["cmdline"], "--timeout", "30"});
    INFO(boot.out << boot.err);
    CHECK(boot.exit_status == 0);
    CHECK(value_of(boot.out, "sysname") == "glassvm");
    CHECK(value_of(boot.out, "nodename") == "from-image");
    CHECK(build["image"]["config"]["vm"]["memory_bytes"] == 32u << 20);
    ProcessResult direct = run_process(
        {build_path("glassvm"), "run", "--image", "vm", "--store", (directory / "store").string(), "--timeout", "30"});
    INFO(direct.out << direct.err);
    CHECK(direct.exit_status == 0);
    CHECK(value_of(direct.out, "nodename") == "from-image");
    ProcessResult as_box = run_in_image(directory / "store", "vm", "true");
    CHECK(as_box.exit_status == 2);
    CHECK_THAT(as_box.err, Catch::Contains("is a vm image"));
}

TEST_CASE("images: COPY resolves symlinks inside the image, WORKDIR and ENV reach RUN", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("copy");
    fs::path context = directory / "context";
    const std::string target = "/glassvm-image-test-" + std::to_string(::getpid());
    make_context(context,
                 "FROM scratch\nCOPY rootfs /\nRUN mkdir " + target + " && ln -s " + target +
                     " /absolute\n"
                     "COPY data /absolute/\nENV GREETING=hello\nWORKDIR /work/here\nRUN pwd > /where && echo $GREETING "
                     ">> /where\n"
                     "CMD [\"cat\", \"/where\"]\n",
                 CopyRootfs::Yes);
    write_text(context / "data", "data\n");
    build_json(directory / "store", context, "copied");
    CHECK_FALSE(fs::exists(target));  // the absolute symlink led into the image, not the host
    CHECK(run_in_image(directory / "store", "copied", "cat " + target + "/data").out == "data\n");
    ProcessResult run = run_process(
        {build_path("glassvm"), "box", "run", "--image", "copied", "--store", (directory / "store").string()});
    CHECK(run.out == "/work/here\nhello\n");
    CHECK(run_in_image(directory / "store", "copied", "pwd; echo $GREETING").out == "/work/here\nhello\n");
}
