// Hostile images and build contexts (issue 16): each attack reproduced through the CLI a user
// would run (`glassvm image import`, `glassvm build`), asserting the host is unharmed — the
// victim files and directories outside the store keep their content, mode, owner and times —
// and that glassvm refuses with one clear line (status 2) naming the entry.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "../unit/without_openat2.hpp"
#include "image/layer_tar.hpp"
#include "test_box_support.hpp"
#include "test_daemon_support.hpp"
#include "test_image_support.hpp"

// The entries below name only the fields they set (designated initializers); GCC 12 warns about
// the members left to their default initializers, which is what those defaults are for.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace glassvm::test;
using namespace glassvm::image;
namespace fs = std::filesystem;

namespace {

// One tar entry the test writes as it likes — nothing glassvm's own writer would produce.
struct Entry {
    std::string path;
    mode_t type = AE_IFREG;     // AE_IFREG, AE_IFDIR, AE_IFLNK
    mode_t permissions = 0644;  // including setuid bits
    std::string link;           // symlink target, or the hard link's target when `hard_link`
    bool hard_link = false;
    std::string data;
    time_t mtime = 1000;
};

void write_tar(const fs::path& tar, const std::vector<Entry>& entries) {
    ArchiveHandle archive = make_archive_writer();
    REQUIRE(archive_write_set_format_pax_restricted(archive.get()) == ARCHIVE_OK);
    REQUIRE(archive_write_open_filename(archive.get(), tar.c_str()) == ARCHIVE_OK);
    for (const Entry& wanted : entries) {
        ArchiveEntryHandle entry = make_archive_entry();
        archive_entry_set_pathname(entry.get(), wanted.path.c_str());
        archive_entry_set_filetype(entry.get(), wanted.type);
        archive_entry_set_perm(entry.get(), wanted.permissions);
        archive_entry_set_mtime(entry.get(), wanted.mtime, 0);
        if (wanted.hard_link) archive_entry_set_hardlink(entry.get(), wanted.link.c_str());
        if (wanted.type == AE_IFLNK) archive_entry_set_symlink(entry.get(), wanted.link.c_str());
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(wanted.data.size()));
        REQUIRE(archive_write_header(archive.get(), entry.get()) == ARCHIVE_OK);
        if (!wanted.data.empty())
            REQUIRE(archive_write_data(archive.get(), wanted.data.data(), wanted.data.size()) ==
                    static_cast<la_ssize_t>(wanted.data.size()));
    }
    REQUIRE(archive_write_close(archive.get()) == ARCHIVE_OK);
}

// What an attack could change about a host file: all of it, symlinks not followed.
struct Snapshot {
    struct stat status {};
    std::string content;
    std::vector<std::string> names;  // a directory's entries
    bool opaque = false;
};

Snapshot snapshot(const fs::path& path) {
    Snapshot shot;
    REQUIRE(::lstat(path.c_str(), &shot.status) == 0);
    if (S_ISREG(shot.status.st_mode)) shot.content = read_text(path);
    if (S_ISDIR(shot.status.st_mode)) {
        for (const auto& entry : fs::directory_iterator(path)) shot.names.push_back(entry.path().filename());
        std::sort(shot.names.begin(), shot.names.end());
    }
    char value[2] = {};
    shot.opaque = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", value, sizeof value) > 0;
    return shot;
}

void check_unchanged(const fs::path& path, const Snapshot& before) {
    INFO("host path " << path);
    Snapshot after = snapshot(path);
    CHECK(after.status.st_mode == before.status.st_mode);
    CHECK(after.status.st_uid == before.status.st_uid);
    CHECK(after.status.st_gid == before.status.st_gid);
    CHECK(after.status.st_nlink == before.status.st_nlink);
    CHECK(after.status.st_mtim.tv_sec == before.status.st_mtim.tv_sec);
    CHECK(after.status.st_mtim.tv_nsec == before.status.st_mtim.tv_nsec);
    CHECK(after.status.st_ctim.tv_sec == before.status.st_ctim.tv_sec);
    CHECK(after.status.st_ctim.tv_nsec == before.status.st_ctim.tv_nsec);
    CHECK(after.content == before.content);
    CHECK(after.names == before.names);
    CHECK(after.opaque == before.opaque);
}

// A host the attacks aim at: host/victim (a 0600 file), host/victim-dir/ (0755, holding b/
// and victim), all with old times, beside the store.
struct Host {
    fs::path directory;
    fs::path file, dir;
    explicit Host(const std::string& name) : directory(fresh_image_test_directory(name)) {
        file = directory / "host/victim";
        dir = directory / "host/victim-dir";
        write_text(file, "host file\n");
        write_text(dir / "victim", "host file in a directory\n");
        fs::create_directories(dir / "b");
        fs::permissions(file, fs::perms(0600));
        fs::permissions(dir, fs::perms(0755));
        for (const fs::path& path : {file, dir, dir / "b", dir / "victim"}) {
            struct timespec times[2] = {{1234567, 0}, {1234567, 0}};
            REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
        }
    }
    std::vector<std::pair<fs::path, Snapshot>> snapshots() const {
        std::vector<std::pair<fs::path, Snapshot>> shots;
        for (const fs::path& path : {file, dir, dir / "b", dir / "victim", directory / "host"})
            shots.emplace_back(path, snapshot(path));
        return shots;
    }
};

// The issue's attack: `evil -> target`, then `h` a hard link to `evil` with `permissions`.
std::vector<Entry> hard_link_through_symlink(const fs::path& target, mode_t permissions) {
    return {{.path = "evil", .type = AE_IFLNK, .link = target.string()},
            {.path = "h", .permissions = permissions, .link = "evil", .hard_link = true}};
}

// `link -> directory`, then `below` (an entry whose path goes through `link`).
std::vector<Entry> below_symlink(const fs::path& directory, Entry below) {
    return {{.path = "link", .type = AE_IFLNK, .link = directory.string()}, std::move(below)};
}

// `glassvm image import TAR -t hostile` of a tar with `entries`: it must be refused with one
// line naming `entry`, the host unharmed, and nothing left in the store.
void check_import_refused(const Host& host, const std::vector<Entry>& entries, const std::string& entry) {
    auto before = host.snapshots();
    fs::path tar = host.directory / "hostile.tar";
    write_tar(tar, entries);
    ProcessResult result =
        glassvm_with_store(host.directory / "store", {"image", "import", tar.string(), "-t", "hostile"});
    INFO(result.out << result.err);
    for (const auto& [path, shot] : before) check_unchanged(path, shot);
    CHECK(result.exit_status == 2);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK_THAT(result.err, Catch::Contains("layer tar") && Catch::Contains("'" + entry + "'"));
    CHECK(fs::is_empty(host.directory / "store/layers"));
    CHECK(fs::is_empty(host.directory / "store/images"));
    CHECK(fs::is_empty(host.directory / "store/tmp"));
}

}  // namespace

TEST_CASE("hostile layer: a hard link to a symlink to a host file does not chmod the host file", "[image]") {
    require_root();
    Host host("hostile-hardlink-file");
    // The attack from the issue: `evil -> HOSTFILE`, then `h` a hard link to `evil`, mode 04777.
    check_import_refused(host, hard_link_through_symlink(host.file, 04777), "h");
}

TEST_CASE("hostile layer: POST /images/import refuses the same tar, the host file unchanged", "[image]") {
    require_root();
    Host host("hostile-daemon-import");
    auto before = host.snapshots();
    fs::path tar = host.directory / "hostile.tar";
    write_tar(tar, hard_link_through_symlink(host.file, 04777));
    TestDaemon daemon;  // glassvmd imports with the unpacker `glassvm image import` uses
    HttpAnswer answer = daemon.request("POST", "/images/import?name=hostile", "",
                                       {"--data-binary", "@" + tar.string(), "-H", "Content-Type: application/x-tar"});
    INFO(answer.body);
    for (const auto& [path, shot] : before) check_unchanged(path, shot);
    CHECK(answer.status == 400);
    CHECK_THAT(answer.body, Catch::Contains("hard link"));
    CHECK(daemon.get("/images").json() == nlohmann::json::array());
}

TEST_CASE("hostile layer: a hard link to a symlink to a host directory does not chmod the directory", "[image]") {
    require_root();
    Host host("hostile-hardlink-dir");
    check_import_refused(host, hard_link_through_symlink(host.dir, 0777), "h");
}

TEST_CASE("hostile layer: a directory replaced by a symlink does not carry its deferred times to the host", "[image]") {
    require_root();
    Host host("hostile-directory-times");
    // a/ and a/b/ are unpacked (a/b's time is set last, after every entry), then `a` becomes a
    // symlink to the host directory: setting a/b's time must not reach host/victim-dir/b.
    auto before = host.snapshots();
    fs::path tar = host.directory / "hostile.tar";
    write_tar(tar, {{.path = "a", .type = AE_IFDIR, .permissions = 0755},
                    {.path = "a/b", .type = AE_IFDIR, .permissions = 0700, .mtime = 99},
                    {.path = "a", .type = AE_IFLNK, .link = host.dir.string()}});
    ProcessResult result =
        glassvm_with_store(host.directory / "store", {"image", "import", tar.string(), "-t", "times"});
    INFO(result.out << result.err);
    for (const auto& [path, shot] : before) check_unchanged(path, shot);
    CHECK(result.exit_status == 0);  // a legal tar: the layer holds the symlink
}

TEST_CASE("hostile layer: entries below a symlinked parent are refused", "[image]") {
    require_root();
    Host host("hostile-parent");
    check_import_refused(host, below_symlink(host.dir, {.path = "link/planted", .data = "planted\n"}), "link/planted");
}

TEST_CASE("hostile layer: a whiteout below a symlink deletes nothing on the host", "[image]") {
    require_root();
    Host host("hostile-whiteout");
    check_import_refused(host, below_symlink(host.dir, {.path = "link/.wh.victim"}), "link/.wh.victim");
    check_import_refused(host, below_symlink(host.dir, {.path = "link/.wh.b"}), "link/.wh.b");
}

TEST_CASE("hostile layer: an opaque marker below a symlink marks no host directory", "[image]") {
    require_root();
    Host host("hostile-opaque");
    check_import_refused(host, below_symlink(host.dir, {.path = "link/.wh..wh..opq"}), "link/.wh..wh..opq");
}

TEST_CASE("hostile layer: hard links only to regular files unpacked earlier in the layer", "[image]") {
    require_root();
    Host host("hostile-hardlink-kinds");
    // To a symlink inside the layer (not even pointing out).
    check_import_refused(host,
                         {{.path = "file", .data = "x"},
                          {.path = "soft", .type = AE_IFLNK, .link = "file"},
                          {.path = "h", .link = "soft", .hard_link = true}},
                         "h");
    // To a directory.
    check_import_refused(
        host, {{.path = "d", .type = AE_IFDIR, .permissions = 0755}, {.path = "h", .link = "d", .hard_link = true}},
        "h");
    // To a host path, absolute (it means the layer's own /…, which has no such file) and relative.
    check_import_refused(host, {{.path = "h", .link = host.file.string(), .hard_link = true}}, "h");
    check_import_refused(
        host, {{.path = "h", .link = "../../../../../../../.." + host.file.string(), .hard_link = true}}, "h");
    // Through a symlinked directory.
    check_import_refused(host, below_symlink(host.dir, {.path = "h", .link = "link/victim", .hard_link = true}), "h");
    // A legal one still works: the link shares the file's data.
    fs::path tar = host.directory / "legal.tar";
    write_tar(tar, {{.path = "file", .permissions = 0640, .data = "shared\n"},
                    {.path = "again", .permissions = 0640, .link = "file", .hard_link = true}});
    ProcessResult result =
        glassvm_with_store(host.directory / "store", {"image", "import", tar.string(), "-t", "legal"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    fs::path layer;
    for (const auto& entry : fs::directory_iterator(host.directory / "store/layers")) layer = entry.path() / "fs";
    CHECK(read_text(layer / "again") == "shared\n");
    CHECK(fs::hard_link_count(layer / "file") == 2);
}

TEST_CASE("hostile layer: without openat2 (Linux before 5.6) the walk that replaces it refuses the same attacks",
          "[image]") {
    require_root();
    Host host("hostile-fallback");
    std::vector<std::vector<Entry>> attacks = {
        hard_link_through_symlink(host.file, 04777),
        below_symlink(host.dir, {.path = "link/planted", .data = "planted\n"}),
        below_symlink(host.dir, {.path = "link/.wh.victim"}),
        below_symlink(host.dir, {.path = "h", .link = "link/victim", .hard_link = true}),
    };
    for (size_t index = 0; index < attacks.size(); ++index)
        write_tar(host.directory / fmt::format("attack-{}.tar", index), attacks[index]);
    auto before = host.snapshots();
    std::string outcome = without_openat2([&]() -> std::string {
        std::string wrong;
        for (size_t index = 0; index < attacks.size(); ++index) {
            fs::path tar = host.directory / fmt::format("attack-{}.tar", index);
            ProcessResult result =
                glassvm_with_store(host.directory / "store", {"image", "import", tar.string(), "-t", "hostile"});
            if (result.exit_status != 2 || result.err.find("layer tar") == std::string::npos)
                wrong += fmt::format("{}: status {}: {}", tar.filename().string(), result.exit_status, result.err);
        }
        return wrong;
    });
    CHECK(outcome == "");
    for (const auto& [path, shot] : before) check_unchanged(path, shot);
    CHECK(fs::is_empty(host.directory / "store/layers"));
}

TEST_CASE("hostile build context: COPY does not follow a symlink out of the context", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("hostile-copy");
    fs::path context = directory / "context";
    const std::string secret = "glassvm-host-secret-" + std::to_string(::getpid());
    write_text(directory / "host/etc/shadow", secret + "\n");
    fs::create_directory_symlink("/etc", context / "hostetc");                  // the issue's attack
    fs::create_directory_symlink(directory / "host/etc", context / "hostdir");  // a host directory of our own
    fs::create_directory_symlink("../host/etc", context / "up");                // relative, out through ..
    for (const char* source : {"hostetc/shadow", "hostdir/shadow", "up/shadow", "up/../etc/shadow"}) {
        make_context(context, std::string("FROM scratch\nCOPY ") + source + " /x\n", CopyRootfs::No);
        ProcessResult result = glassvm_with_store(directory / "store", {"build", context.string(), "-t", "copied"});
        INFO(source << ": " << result.out << result.err);
        CHECK(result.exit_status == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
        CHECK_THAT(result.err, Catch::Contains("Glassfile:2: COPY source") && Catch::Contains("does not exist"));
    }
    // Nothing from the host entered the store: no image, no layer, nothing in a tar.
    CHECK(fs::is_empty(directory / "store/images"));
    CHECK(fs::is_empty(directory / "store/layers"));

    // A directory holding such a symlink copies the symlink, never what it points at.
    write_text(context / "tree/file", "in the context\n");
    fs::create_directory_symlink(directory / "host/etc", context / "tree/hostdir");
    make_context(context, "FROM scratch\nCOPY tree /tree\n", CopyRootfs::No);
    nlohmann::json build = build_json(directory / "store", context, "tree");
    std::string layer = build["image"]["layers"][0];
    fs::path layer_fs = directory / "store/layers" / layer.substr(7) / "fs";
    CHECK(read_text(layer_fs / "tree/file") == "in the context\n");
    CHECK(fs::read_symlink(layer_fs / "tree/hostdir") == directory / "host/etc");
    ProcessResult listing =
        run_process({"tar", "-tvf", (directory / "store/layers" / layer.substr(7) / "layer.tar").string()});
    CHECK_THAT(listing.out, !Catch::Contains("shadow"));
}

TEST_CASE("hostile build context: a symlinked Glassfile is read inside the context only", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("hostile-glassfile");
    fs::path context = directory / "context";
    const std::string secret = "glassvm-host-secret-" + std::to_string(::getpid());
    write_text(directory / "host/Glassfile", secret + " of the host\n");
    fs::create_symlink(directory / "host/Glassfile", context / "Glassfile");
    ProcessResult result = glassvm_with_store(directory / "store", {"build", context.string(), "-t", "x"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, !Catch::Contains(secret));
    CHECK_THAT(result.err, Catch::Contains("Glassfile"));
}

TEST_CASE("hostile build: a sparse file from RUN is stored sparse and comes back whole", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("hostile-sparse");
    // The issue's `RUN truncate -s 512M` wrote 1.1 GB; with a few bytes of data in the holes.
    make_context(
        directory / "context",
        "FROM scratch\nCOPY rootfs /\n"
        "RUN truncate -s 512M /sparse && printf middle | dd of=/sparse bs=1 seek=268435456 conv=notrunc 2>/dev/null"
        " && printf end | dd of=/sparse bs=1 seek=536870909 conv=notrunc 2>/dev/null\n",
        CopyRootfs::Yes);
    nlohmann::json build = build_json(directory / "store", directory / "context", "sparse");
    std::string layer = build["image"]["layers"][1];
    fs::path layer_directory = directory / "store/layers" / layer.substr(7);
    CHECK(fs::file_size(layer_directory / "layer.tar") < (1u << 20));
    struct stat status {};
    REQUIRE(::stat((layer_directory / "fs/sparse").c_str(), &status) == 0);
    CHECK(status.st_size == 512 << 20);
    CHECK(status.st_blocks * 512 < (1 << 20));
    std::ifstream file(layer_directory / "fs/sparse", std::ios::binary);
    auto read_at = [&](std::streamoff offset, size_t size) {
        std::string bytes(size, '?');
        file.seekg(offset);
        file.read(bytes.data(), static_cast<std::streamsize>(size));
        return bytes;
    };
    CHECK(read_at(0, 4) == std::string(4, '\0'));
    CHECK(read_at(268435456 - 2, 10) == std::string("\0\0middle\0\0", 10));
    CHECK(read_at(536870909, 3) == "end");
    CHECK(fs::is_empty(directory / "store/tmp"));
}

TEST_CASE("hostile build: a layer over the size limit ends the build and leaves nothing behind", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("hostile-limit");
    make_context(directory / "context", "FROM scratch\nCOPY rootfs /\nRUN head -c 33554432 /dev/urandom > /big\n",
                 CopyRootfs::Yes);
    ProcessResult result = glassvm_with_store(
        directory / "store", {"build", (directory / "context").string(), "-t", "big", "--layer-limit", "16M"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("layer size limit") && Catch::Contains("--layer-limit"));
    CHECK(fs::is_empty(directory / "store/tmp"));  // no partial tar, no overlay directories
    CHECK(fs::is_empty(directory / "store/images"));
    for (const auto& layer : fs::directory_iterator(directory / "store/layers"))
        CHECK(fs::file_size(layer.path() / "layer.tar") <= (16u << 20));
    // Within the limit the same step builds.
    ProcessResult larger = glassvm_with_store(
        directory / "store", {"build", (directory / "context").string(), "-t", "big", "--layer-limit", "64M"});
    INFO(larger.out << larger.err);
    CHECK(larger.exit_status == 0);
}

TEST_CASE("image names: bytes that are not UTF-8 or not printable are one clear line, status 2", "[image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("hostile-names");
    fs::path tar = directory / "one.tar";
    write_tar(tar, {{.path = "file", .data = "x"}});
    make_context(directory / "context", "FROM scratch\nCOPY Glassfile /\n", CopyRootfs::No);
    for (const std::string& name :
         {std::string("\xff\xfe"), std::string("caf\xc3"), std::string("two\nlines"), std::string("tab\there")}) {
        for (const std::vector<std::string>& arguments :
             {std::vector<std::string>{"image", "import", tar.string(), "-t", name},
              {"build", (directory / "context").string(), "-t", name},
              {"image", "inspect", name},
              {"image", "rm", name}}) {
            ProcessResult result = glassvm_with_store(directory / "store", arguments);
            INFO(arguments[0] << " " << arguments[1] << ": " << result.out << result.err);
            CHECK(result.exit_status == 2);
            CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
            CHECK_THAT(result.err, Catch::Contains("not an image name"));
        }
    }
    CHECK(fs::is_empty(directory / "store/images"));
    CHECK(fs::is_empty(directory / "store/layers"));  // refused before anything was stored
}
