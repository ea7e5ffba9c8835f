// Re-executing glassvm from a sealed memfd copy of itself (sealed_executable.hpp).
#include "container/sealed_executable.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>  // program_invocation_short_name
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: executable memfd, stated (vm.memfd_noexec may demand it)
#endif

namespace glassvm::container {

namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

Fd make_memfd() {
    int fd = ::memfd_create("glassvm", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) fd = ::memfd_create("glassvm", MFD_CLOEXEC | MFD_ALLOW_SEALING);  // before 6.3
    return Fd(check_syscall("memfd_create", fd));
}

// How much of the executable the kernel loads: up to the end of its program headers and of the
// last segment. glassvm's build keeps its debug information (over 100 MiB of a RelWithDebInfo
// build, against some 8 MiB of code and data), all after that point and never read to run it:
// the copy leaves it out, and drops the section table that described it (execve reads program
// headers only). Anything that is not a 64-bit ELF file is copied whole.
off_t loaded_size(int fd, off_t file_size, Elf64_Ehdr& header) {
    if (::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
        std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
        header.e_phentsize != sizeof(Elf64_Phdr))
        return file_size;
    uint64_t end = header.e_phoff + uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment{};
        off_t at = static_cast<off_t>(header.e_phoff + i * sizeof segment);
        if (::pread(fd, &segment, sizeof segment, at) != static_cast<ssize_t>(sizeof segment)) return file_size;
        end = std::max<uint64_t>(end, segment.p_offset + segment.p_filesz);
    }
    return end <= static_cast<uint64_t>(file_size) ? static_cast<off_t>(end) : file_size;
}

void copy_all(int from, int to, off_t size) {
    off_t offset = 0;
    while (offset < size) {
        ssize_t sent = ::sendfile(to, from, &offset, static_cast<size_t>(size - offset));
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) throw Error::from_errno("copy /proc/self/exe into a memfd", sent < 0 ? errno : EIO);
    }
}

// argv as the kernel keeps it: NUL-terminated strings, one after another.
std::vector<std::string> own_arguments() {
    std::ifstream file("/proc/self/cmdline", std::ios::binary);
    if (!file) throw Error::from_errno("open /proc/self/cmdline", errno);
    std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    std::vector<std::string> arguments;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        arguments.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return arguments;
}

}  // namespace

bool running_from_sealed_copy() {
    Fd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return false;
    int seals = ::fcntl(self.get(), F_GET_SEALS);
    return seals >= 0 && (seals & kSeals) == kSeals;
}

void reexec_from_sealed_copy() {
    if (running_from_sealed_copy()) {
        // An fd-based execve names the process after the descriptor ("3", or "memfd:glassvm"
        // on newer kernels); ps, and the stale-cgroup check (cgroups.cpp), expect "glassvm".
        ::prctl(PR_SET_NAME, program_invocation_short_name, 0, 0, 0);
        return;
    }
    Fd self(check_syscall("open /proc/self/exe", ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC)));
    struct stat info {};
    check_syscall("fstat /proc/self/exe", ::fstat(self.get(), &info));
    Fd copy = make_memfd();
    Elf64_Ehdr header{};
    off_t size = loaded_size(self.get(), info.st_size, header);
    copy_all(self.get(), copy.get(), size);
    if (size < info.st_size) {  // the section table is gone with the debug information
        header.e_shoff = 0;
        header.e_shnum = 0;
        header.e_shstrndx = SHN_UNDEF;
        check_syscall("write the copy's ELF header", static_cast<int>(::pwrite(copy.get(), &header, sizeof header, 0)));
    }
    check_syscall("fchmod the memfd copy", ::fchmod(copy.get(), 0555));
    check_syscall("seal the memfd copy", ::fcntl(copy.get(), F_ADD_SEALS, kSeals));

    std::vector<std::string> arguments = own_arguments();
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    // execveat(AT_EMPTY_PATH) of a close-on-exec descriptor works for an ELF file (not for a
    // script, which glassvm is not); the descriptor is gone in the new program.
    ::fexecve(copy.get(), argv.data(), environ);
    throw Error::from_errno("re-execute glassvm from its sealed copy (fexecve)", errno);
}

}  // namespace glassvm::container
