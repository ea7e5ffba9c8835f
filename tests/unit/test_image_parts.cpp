// The image library's pure parts: digests, whiteout names, the deterministic layer tar, image
// JSON (strict), names, overlay mount options. Whiteout devices need root: see
// tests/integration/test_image_layers.cpp.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/fd.hpp"
#include "error_matchers.hpp"
#include "image/context_source.hpp"
#include "image/digest.hpp"
#include "image/image.hpp"
#include "image/layer_tar.hpp"
#include "image/overlay.hpp"
#include "scratch_files.hpp"

namespace fs = std::filesystem;
using namespace glassvm::image;
using glassvm::test::IsBadInput;
using glassvm::test::read_text;
using glassvm::test::scratch_directory;
using glassvm::test::write_text;

TEST_CASE("image digest: sha256 of bytes and of a file, in OCI's spelling", "[image]") {
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    const std::string abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    CHECK(sha256_bytes("abc") == abc);
    fs::path directory = scratch_directory("digest");
    write_text(directory / "abc", "abc");
    CHECK(sha256_file(directory / "abc") == abc);
    CHECK(is_digest(abc));
    CHECK_FALSE(is_digest("sha256:ABC"));
    CHECK_FALSE(is_digest(abc.substr(0, 70)));
    CHECK(digest_hex(abc) == abc.substr(7));
    CHECK_THROWS_MATCHES(digest_hex("md5:00"), glassvm::Error, IsBadInput("is not a sha256 digest"));
    CHECK_THROWS_AS(sha256_file(directory / "missing"), glassvm::Error);
    fs::remove_all(directory);
}

TEST_CASE("image digest: a COPY source's digest follows content and modes, not times", "[image]") {
    fs::path directory = scratch_directory("tree");
    write_text(directory / "a/b.txt", "one");
    glassvm::Fd context = open_context(directory);
    auto digest = [&] { return sha256_context_source(resolve_context_source(context, "a", "test")); };
    std::string first = digest();
    fs::last_write_time(directory / "a/b.txt", fs::file_time_type::clock::now() - std::chrono::hours(5));
    CHECK(digest() == first);
    fs::permissions(directory / "a/b.txt", fs::perms::owner_exec, fs::perm_options::add);
    std::string executable = digest();
    CHECK(executable != first);
    write_text(directory / "a/b.txt", "two");
    CHECK(digest() != executable);
    fs::remove_all(directory);
}

TEST_CASE("image whiteouts: tar names are classified and converted", "[image]") {
    CHECK(classify_tar_name(".wh..wh..opq") == WhiteoutKind::Opaque);
    CHECK(classify_tar_name(".wh.passwd") == WhiteoutKind::Whiteout);
    CHECK(classify_tar_name("passwd") == WhiteoutKind::None);
    CHECK(classify_tar_name("x.wh.y") == WhiteoutKind::None);
    CHECK(whiteout_target(".wh.passwd") == "passwd");
    CHECK(whiteout_tar_name("passwd") == ".wh.passwd");
    CHECK_THROWS_MATCHES(whiteout_target(".wh."), glassvm::Error, IsBadInput("not a whiteout"));
    CHECK_THROWS_MATCHES(whiteout_target(".wh.."), glassvm::Error, IsBadInput("not a whiteout"));
    struct stat status {};
    status.st_mode = S_IFCHR;
    status.st_rdev = 0;
    CHECK(is_overlay_whiteout(status));
    status.st_rdev = makedev(1, 3);  // /dev/null is not a whiteout
    CHECK_FALSE(is_overlay_whiteout(status));
}

TEST_CASE("image layer tar: identical content gives one digest whatever the times", "[image]") {
    fs::path directory = scratch_directory("layer-tar");
    for (const char* tree : {"one", "two"}) {
        write_text(directory / tree / "etc/hostname", "box\n");
        write_text(directory / tree / "bin/tool", "#!/bin/sh\n");
        fs::create_symlink("tool", directory / tree / "bin/link");
    }
    fs::last_write_time(directory / "two/etc/hostname", fs::file_time_type::clock::now() - std::chrono::hours(30));
    write_layer_tar(directory / "one", directory / "one.tar");
    write_layer_tar(directory / "two", directory / "two.tar");
    CHECK(sha256_file(directory / "one.tar") == sha256_file(directory / "two.tar"));

    write_text(directory / "two/etc/hostname", "other\n");
    write_layer_tar(directory / "two", directory / "two-changed.tar");
    CHECK(sha256_file(directory / "one.tar") != sha256_file(directory / "two-changed.tar"));

    fs::create_directory(directory / "unpacked");
    unpack_layer_tar(directory / "one.tar", directory / "unpacked");
    std::ifstream hostname(directory / "unpacked/etc/hostname");
    std::string line;
    std::getline(hostname, line);
    CHECK(line == "box");
    CHECK(fs::read_symlink(directory / "unpacked/bin/link") == "tool");
    fs::remove_all(directory);
}

namespace {

// A file of `size` bytes holding "start" at 0, "middle" at size / 2 and "end" at its end, zeros
// elsewhere: with holes (ftruncate) or written out in full.
enum class Holes {
    Yes,
    No
};
void write_mostly_zeros(const fs::path& path, off_t size, Holes holes) {
    fs::create_directories(path.parent_path());
    glassvm::Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(file);
    if (holes == Holes::Yes) {
        REQUIRE(::ftruncate(file.get(), size) == 0);
    } else {
        std::string block(1 << 20, '\0');
        for (off_t offset = 0; offset < size; offset += static_cast<off_t>(block.size()))
            REQUIRE(::pwrite(file.get(), block.data(), block.size(), offset) == static_cast<ssize_t>(block.size()));
    }
    REQUIRE(::pwrite(file.get(), "start", 5, 0) == 5);
    REQUIRE(::pwrite(file.get(), "middle", 6, size / 2) == 6);
    REQUIRE(::pwrite(file.get(), "end", 3, size - 3) == 3);
}

}  // namespace

TEST_CASE("image layer tar: holes are written as sparse entries and unpack to the same file", "[image]") {
    fs::path directory = scratch_directory("sparse");
    const off_t size = off_t(512) << 20;
    write_mostly_zeros(directory / "tree/file", size, Holes::Yes);  // the issue's `truncate -s 512M`
    write_text(directory / "tree/all-zeros", std::string(1 << 20, '\0'));
    write_text(directory / "tree/text", "no holes here\n");
    write_layer_tar(directory / "tree", directory / "tree.tar");
    CHECK(fs::file_size(directory / "tree.tar") < (64u << 10));

    fs::create_directory(directory / "unpacked");
    unpack_layer_tar(directory / "tree.tar", directory / "unpacked");
    struct stat status {};
    REQUIRE(::stat((directory / "unpacked/file").c_str(), &status) == 0);
    CHECK(status.st_size == size);
    CHECK(status.st_blocks * 512 < (1 << 20));  // unpacked with holes too
    glassvm::Fd unpacked(::open((directory / "unpacked/file").c_str(), O_RDONLY | O_CLOEXEC));
    auto read_at = [&](off_t offset, size_t length) {
        std::string bytes(length, '?');
        CHECK(::pread(unpacked.get(), bytes.data(), length, offset) == static_cast<ssize_t>(length));
        return bytes;
    };
    CHECK(read_at(0, 7) == std::string("start\0\0", 7));
    CHECK(read_at(size / 2 - 1, 8) == std::string("\0middle\0", 8));
    CHECK(read_at(size - 4, 4) == std::string("\0end", 4));
    CHECK(fs::file_size(directory / "unpacked/all-zeros") == (1u << 20));
    CHECK(read_text(directory / "unpacked/all-zeros") == std::string(1 << 20, '\0'));
    CHECK(read_text(directory / "unpacked/text") == "no holes here\n");

    // The bytes decide, not how the file system stored them: one tar, one digest.
    write_mostly_zeros(directory / "holes/file", 16 << 20, Holes::Yes);
    write_mostly_zeros(directory / "dense/file", 16 << 20, Holes::No);
    write_layer_tar(directory / "holes", directory / "holes.tar");
    write_layer_tar(directory / "dense", directory / "dense.tar");
    CHECK(fs::file_size(directory / "dense.tar") < (64u << 10));
    CHECK(sha256_file(directory / "dense.tar") == sha256_file(directory / "holes.tar"));
    fs::remove_all(directory);
}

TEST_CASE("image json: an image survives the round trip", "[image]") {
    Image image;
    image.layers = {sha256_bytes("one"), sha256_bytes("two")};
    image.config.kind = InstanceKind::Vm;
    image.config.command = {"/bin/sh", "-c", "echo hi"};
    image.config.env = {"A=1"};
    image.config.vm = {"/boot/kernel", "/init", "quiet", 64 << 20, 2};
    image.id = image_id(image.layers, image.config);
    image.name = "demo:latest";
    image.created = "2026-11-28T23:40:00Z";
    Image back = image_from_json(to_json(image));
    CHECK(back.id == image.id);
    CHECK(back.layers == image.layers);
    CHECK(back.config.kind == InstanceKind::Vm);
    CHECK(back.config.vm.kernel_layer_path == "/boot/kernel");
    CHECK(back.config.vm.memory_bytes == (64u << 20));
    CHECK(back.config.vm.cpus == 2);
    CHECK(image_id(back.layers, back.config) == image.id);
}

TEST_CASE("image json: unknown, missing and mistyped fields are errors naming them", "[image]") {
    Image image;
    image.id = image_id({}, image.config);
    image.created = now_rfc3339();
    nlohmann::json json = to_json(image);

    nlohmann::json unknown = json;
    unknown["labels"] = nlohmann::json::object();
    CHECK_THROWS_MATCHES(image_from_json(unknown), glassvm::Error, IsBadInput("unknown field 'labels'"));
    nlohmann::json nested = json;
    nested["config"]["vm"]["firmware"] = "x";
    CHECK_THROWS_MATCHES(image_from_json(nested), glassvm::Error,
                         IsBadInput("image config vm: unknown field 'firmware'"));
    nlohmann::json missing = json;
    missing.erase("layers");
    CHECK_THROWS_MATCHES(image_from_json(missing), glassvm::Error, IsBadInput("field 'layers' is missing"));
    nlohmann::json mistyped = json;
    mistyped["config"]["env"] = "A=1";
    CHECK_THROWS_MATCHES(image_from_json(mistyped), glassvm::Error, IsBadInput("field 'env' has the wrong type"));
    nlohmann::json bad_kind = json;
    bad_kind["config"]["kind"] = "pod";
    CHECK_THROWS_MATCHES(image_from_json(bad_kind), glassvm::Error, IsBadInput("neither box nor vm"));
    nlohmann::json bad_layer = json;
    bad_layer["layers"] = {"sha256:123"};
    CHECK_THROWS_MATCHES(image_from_json(bad_layer), glassvm::Error, IsBadInput("is not a sha256 digest"));
}

TEST_CASE("image names: a missing tag is latest, and ids and spaces are not names", "[image]") {
    CHECK(normalize_name("web") == "web:latest");
    CHECK(normalize_name("web:v2") == "web:v2");
    CHECK(normalize_name("localhost:5000/web") == "localhost:5000/web:latest");
    CHECK_THROWS_MATCHES(normalize_name(""), glassvm::Error, IsBadInput("not an image name"));
    CHECK_THROWS_MATCHES(normalize_name("a b"), glassvm::Error, IsBadInput("not an image name"));
    CHECK_THROWS_MATCHES(normalize_name("sha256:00"), glassvm::Error, IsBadInput("not an image name"));
}

TEST_CASE("image overlay: lower directories are listed top first", "[image]") {
    std::string options = overlay_options({"/l/bottom", "/l/middle", "/l/top"}, "/i/upper", "/i/work");
    CHECK(options.starts_with("lowerdir=/l/top:/l/middle:/l/bottom,upperdir=/i/upper,workdir=/i/work"));
    CHECK_THROWS_MATCHES(overlay_options({"/l/a:b"}, "/u", "/w"), glassvm::Error, IsBadInput("cannot carry"));
}
