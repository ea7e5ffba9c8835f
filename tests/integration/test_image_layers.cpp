// The image library on a real file system, as root: whiteouts converted both ways between a
// layer tar and overlayfs's form, two overlay instances sharing one layer, and looking files
// up through layers with deletions.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <future>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/image_store.hpp"
#include "image/layer_path.hpp"
#include "image/layer_tar.hpp"
#include "image/overlay.hpp"
#include "test_box_support.hpp"
#include "test_image_support.hpp"

using namespace glassvm::test;
using namespace glassvm::image;
namespace fs = std::filesystem;

namespace {

void make_whiteout(const fs::path& path) { REQUIRE(::mknod(path.c_str(), S_IFCHR, makedev(0, 0)) == 0); }

bool is_whiteout_device(const fs::path& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0 && S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0);
}

bool has_opaque_xattr(const fs::path& path) {
    char value[2] = {};
    return ::lgetxattr(path.c_str(), "trusted.overlay.opaque", value, sizeof value) == 1 && value[0] == 'y';
}

}  // namespace

TEST_CASE("image layers: overlay whiteouts become .wh. entries and come back as whiteouts", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("conversion");
    fs::path upper = directory / "upper";
    write_text(upper / "kept/file", "kept\n");
    fs::create_directories(upper / "etc");
    make_whiteout(upper / "etc/passwd");
    write_text(upper / "fresh/new", "new\n");
    REQUIRE(::lsetxattr((upper / "fresh").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);

    write_layer_tar(upper, directory / "layer.tar");
    ProcessResult listing = run_process({"tar", "-tvf", (directory / "layer.tar").string()});
    INFO(listing.out);
    CHECK_THAT(listing.out, Catch::Contains("etc/.wh.passwd"));
    CHECK_THAT(listing.out, Catch::Contains("fresh/.wh..wh..opq"));
    CHECK_THAT(listing.out, !Catch::Contains(" etc/passwd"));
    CHECK_THAT(listing.out, Catch::Contains("1970-01-01"));  // every mtime is 0

    fs::create_directory(directory / "unpacked");
    unpack_layer_tar(directory / "layer.tar", directory / "unpacked");
    CHECK(is_whiteout_device(directory / "unpacked/etc/passwd"));
    CHECK_FALSE(fs::exists(directory / "unpacked/etc/.wh.passwd"));
    CHECK(has_opaque_xattr(directory / "unpacked/fresh"));
    CHECK_FALSE(fs::exists(directory / "unpacked/fresh/.wh..wh..opq"));
    CHECK(read_text(directory / "unpacked/kept/file") == "kept\n");

    // And back again: the unpacked layer writes the very same tar.
    write_layer_tar(directory / "unpacked", directory / "again.tar");
    CHECK(sha256_file(directory / "again.tar") == sha256_file(directory / "layer.tar"));
}

TEST_CASE("image layers: a tar entry cannot escape the layer", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("escape");
    write_text(directory / "tree/etc/x", "x");
    fs::create_directory_symlink("/tmp", directory / "tree/link");
    REQUIRE(run_process({"tar", "-C", (directory / "tree").string(), "-cf", (directory / "one.tar").string(), "link"})
                .exit_status == 0);
    REQUIRE(run_process({"tar", "-C", (directory / "tree").string(), "-rf", (directory / "one.tar").string(), "etc/x",
                         "--transform", "s|etc/x|link/glassvm-escaped|"})
                .exit_status == 0);
    fs::create_directory(directory / "out");
    CHECK_THROWS_AS(unpack_layer_tar(directory / "one.tar", directory / "out"), glassvm::Error);
    CHECK_FALSE(fs::exists("/tmp/glassvm-escaped"));
}

TEST_CASE("image layers: two overlay instances share a layer and keep their writes apart", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("overlay");
    ImageStore store(directory / "store");
    fs::path tar = directory / "base.tar";
    write_text(directory / "base/etc/motd", "base\n");
    write_text(directory / "base/etc/other", "other\n");
    write_layer_tar(directory / "base", tar);
    std::string layer = store.layers().import_tar(tar);
    CHECK(store.layers().import_tar(tar) == layer);  // stored once

    std::vector<fs::path> lowers = {store.layers().directory(layer)};
    {
        OverlayMount one(lowers, directory / "one/upper", directory / "one/work", directory / "one/merged");
        OverlayMount two(lowers, directory / "two/upper", directory / "two/work", directory / "two/merged");
        write_text(one.merged() / "etc/motd", "one\n");
        write_text(two.merged() / "etc/motd", "two\n");
        fs::remove(one.merged() / "etc/other");
        CHECK(read_text(one.merged() / "etc/motd") == "one\n");
        CHECK(read_text(two.merged() / "etc/motd") == "two\n");
        CHECK_FALSE(fs::exists(one.merged() / "etc/other"));
        CHECK(fs::exists(two.merged() / "etc/other"));
    }
    CHECK(read_text(store.layers().directory(layer) / "etc/motd") == "base\n");
    CHECK(is_whiteout_device(directory / "one/upper/etc/other"));

    // Instance one's upper directory as a layer: its deletion travels as a whiteout.
    std::string diff = store.layers().import_directory_diff(directory / "one/upper");
    std::vector<fs::path> stacked = {store.layers().directory(layer), store.layers().directory(diff)};
    CHECK_FALSE(find_in_layers(stacked, "/etc/other"));
    CHECK(find_in_layers(stacked, "/etc/motd") == store.layers().directory(diff) / "etc/motd");
    CHECK(find_in_layers({stacked[0]}, "/etc/other") == stacked[0] / "etc/other");
    CHECK_FALSE(find_in_layers(stacked, "/nowhere"));
}

TEST_CASE("image store: removing an image waits for a build holding the store", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("lock");
    ImageStore store(directory / "store");
    write_text(directory / "base/file", "x\n");
    write_layer_tar(directory / "base", directory / "base.tar");
    store.import_rootfs_tar("locked", directory / "base.tar", ImageConfig{});
    std::future<ProcessResult> removal;
    {
        StoreLock build(store.root(), LockMode::Shared);
        removal = std::async(std::launch::async, [&] {
            return glassvm_with_store(store.root(), {"image", "rm", "locked"});
        });
        CHECK(removal.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
        CHECK(store.find("locked"));
    }
    CHECK(removal.get().exit_status == 0);
    CHECK_FALSE(store.find("locked"));
    CHECK(store.layers().list().empty());
}
