// Atomic small-file writes (atomic_file.hpp).
#include "image/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace glassvm::image {

void write_file_atomically(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::path temporary = file;
    temporary += fmt::format(".tmp-{}", ::getpid());
    {
        Fd out(check_syscall(fmt::format("create {}", temporary.string()),
                             ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)));
        for (size_t done = 0; done < text.size();)
            done += static_cast<size_t>(check_syscall(fmt::format("write {}", temporary.string()),
                                                      ::write(out.get(), text.data() + done, text.size() - done)));
        check_syscall(fmt::format("fsync {}", temporary.string()), ::fsync(out.get()));
    }
    check_syscall(fmt::format("rename {} {}", temporary.string(), file.string()), ::rename(temporary.c_str(), file.c_str()));
}

std::string read_small_file(const std::filesystem::path& file) {
    std::ifstream stream(file);
    std::stringstream text;
    text << stream.rdbuf();
    return text.str();
}

}  // namespace glassvm::image
