// libFuzzer target: the layer unpacker (image/layer_tar_unpack.cpp), with the host as the
// oracle (host_oracle.hpp): each input is unpacked into root/ inside /tmp/glassvm-fuzz-layer,
// beside a file, a directory and symlinks to them that no layer may reach. An input is either
//   a raw tar — its header checksums are fixed first, so that mutations get past libarchive's
//     check and reach the unpacker — or
//   a script, starting "entries\n", one entry a line, written into a tar with libarchive:
//     d PATH [MODE]            directory              l PATH TARGET          symlink
//     f PATH [DATA] [MODE]     file                   h PATH TARGET [MODE]   hard link
//     s PATH SIZE              sparse file (SIZE ≤ 64 MiB, "x" at its end)
//     c PATH / b PATH / p PATH character device 1:3, block device 7:0, FIFO
//   with MODE in octal (setuid bits and all).
// A glassvm::Error of any kind is a refusal and fine; anything reaching outside root/, a
// crash, a sanitizer report or another exception is a bug. Runs as root (it makes devices,
// chowns and sets trusted.* xattrs, as `glassvm image import` does).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host_oracle.hpp"
#include "image/layer_tar.hpp"

namespace {

using glassvm::Fd;
namespace image = glassvm::image;

glassvm::fuzz::HostOracle& oracle() {
    static glassvm::fuzz::HostOracle instance("/tmp/glassvm-fuzz-layer", {"root"}, "glassvm-fuzz-outside");
    return instance;
}

// Every 512-byte block that looks like a ustar header gets the checksum it should have.
void fix_checksums(std::string& tar) {
    for (size_t block = 0; block + 512 <= tar.size(); block += 512) {
        char* header = tar.data() + block;
        if (std::string_view(header + 257, 5) != "ustar") continue;
        std::fill(header + 148, header + 156, ' ');
        unsigned sum = 0;
        for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(header[i]);
        std::snprintf(header + 148, 8, "%06o", sum & 0777777);
        header[155] = ' ';
    }
}

mode_t parse_mode(const std::string& text, mode_t fallback) {
    if (text.empty()) return fallback;
    return static_cast<mode_t>(std::strtoul(text.c_str(), nullptr, 8) & 07777);
}

// The script's entries as a pax tar (what glassvm writes and reads).
std::string tar_from_script(const std::string& script) {
    image::ArchiveHandle archive = image::make_archive_writer();
    archive_write_set_format_pax_restricted(archive.get());
    archive_write_set_bytes_in_last_block(archive.get(), 1);
    std::string tar(1 << 20, '\0');
    size_t used = 0;
    if (archive_write_open_memory(archive.get(), tar.data(), tar.size(), &used) != ARCHIVE_OK) return {};
    std::istringstream lines(script);
    std::string line;
    std::getline(lines, line);  // "entries"
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string kind, path, third, fourth;
        words >> kind >> path >> third >> fourth;
        if (kind.empty() || path.empty()) continue;
        image::ArchiveEntryHandle entry = image::make_archive_entry();
        archive_entry_set_pathname(entry.get(), path.c_str());
        archive_entry_set_mtime(entry.get(), 12345, 0);
        archive_entry_set_uid(entry.get(), 1000);
        archive_entry_set_gid(entry.get(), 1000);
        std::string data;
        la_int64_t size = 0;
        switch (kind[0]) {
            case 'd':
                archive_entry_set_filetype(entry.get(), AE_IFDIR);
                archive_entry_set_perm(entry.get(), parse_mode(third, 0755));
                break;
            case 'f':
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_perm(entry.get(), parse_mode(fourth, 0644));
                data = third;
                size = static_cast<la_int64_t>(data.size());
                break;
            case 's': {
                size = std::min<la_int64_t>(std::strtoll(third.c_str(), nullptr, 10), 64 << 20);
                if (size <= 0) continue;
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_perm(entry.get(), 0644);
                archive_entry_set_size(entry.get(), size);
                archive_entry_sparse_add_entry(entry.get(), size - 1, 1);
                break;
            }
            case 'l':
                archive_entry_set_filetype(entry.get(), AE_IFLNK);
                archive_entry_set_symlink(entry.get(), third.c_str());
                break;
            case 'h':
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_perm(entry.get(), parse_mode(fourth, 0644));
                archive_entry_set_hardlink(entry.get(), third.c_str());
                break;
            case 'c':
                archive_entry_set_filetype(entry.get(), AE_IFCHR);
                archive_entry_set_rdev(entry.get(), makedev(1, 3));
                break;
            case 'b':
                archive_entry_set_filetype(entry.get(), AE_IFBLK);
                archive_entry_set_rdev(entry.get(), makedev(7, 0));
                break;
            case 'p':
                archive_entry_set_filetype(entry.get(), AE_IFIFO);
                break;
            default:
                continue;
        }
        if (kind[0] != 's') archive_entry_set_size(entry.get(), size);
        if (archive_write_header(archive.get(), entry.get()) < ARCHIVE_WARN) break;
        if (kind[0] == 's') {
            static const std::string zeros(1 << 20, '\0');
            for (la_int64_t done = 0; done < size - 1;) {
                size_t chunk =
                    static_cast<size_t>(std::min<la_int64_t>(static_cast<la_int64_t>(zeros.size()), size - 1 - done));
                archive_write_data(archive.get(), zeros.data(), chunk);
                done += static_cast<la_int64_t>(chunk);
            }
            archive_write_data(archive.get(), "x", 1);
        } else if (!data.empty()) {
            archive_write_data(archive.get(), data.data(), data.size());
        }
    }
    archive_write_close(archive.get());
    tar.resize(used);
    return tar;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::string tar;
    if (input.starts_with("entries\n")) {
        tar = tar_from_script(input);
    } else {
        tar = input;
        fix_checksums(tar);
    }
    // The tar lives in memory; the unpacker opens it by name as it opens any tar.
    Fd memory(::memfd_create("layer.tar", MFD_CLOEXEC));
    if (!memory || ::write(memory.get(), tar.data(), tar.size()) != static_cast<ssize_t>(tar.size())) std::abort();
    glassvm::fuzz::HostOracle& host = oracle();
    host.before_input();
    try {
        image::unpack_layer_tar("/proc/self/fd/" + std::to_string(memory.get()), host.work("root"));
    } catch (const glassvm::Error&) {
        // Refused: fine, as long as nothing outside root/ was touched on the way.
    }
    host.after_input();
    return 0;
}
