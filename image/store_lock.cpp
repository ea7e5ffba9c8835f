// The image store's lock (store_lock.hpp).
#include "image/store_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::image {

StoreLock::StoreLock(const std::filesystem::path& root, LockMode mode) {
    std::filesystem::path file = root / "lock";
    m_file = Fd(
        check_syscall(fmt::format("open {}", file.string()), ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)));
    // flock locks belong to the open file description, so two threads of one process exclude
    // each other as two processes do.
    check_syscall(fmt::format("flock {}", file.string()),
                  ::flock(m_file.get(), mode == LockMode::Shared ? LOCK_SH : LOCK_EX));
}

}  // namespace glassvm::image
