// SetupChannel: one failure record (stage, kind, errno, message) on a pipe.
#include "container/setup_channel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace glassvm::container {

namespace {

struct RecordHeader {
    int32_t stage, kind, error_number;
    uint32_t message_length;
};

void write_fully(int fd, const void* data, size_t length) noexcept {
    auto bytes = static_cast<const char*>(data);
    while (length > 0) {
        ssize_t written = ::write(fd, bytes, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        length -= static_cast<size_t>(written);
    }
}

// Reads exactly `length` bytes; false at end of file or on error.
bool read_fully(int fd, void* data, size_t length) {
    auto bytes = static_cast<char*>(data);
    while (length > 0) {
        ssize_t got = ::read(fd, bytes, length);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        bytes += got;
        length -= static_cast<size_t>(got);
    }
    return true;
}

}  // namespace

SetupChannel::SetupChannel() {
    int fds[2];
    check_syscall("pipe2", ::pipe2(fds, O_CLOEXEC));
    m_reader = Fd(fds[0]);
    m_writer = Fd(fds[1]);
}

void SetupChannel::report(const SetupFailure& failure) noexcept {
    // Message first into one buffer: a single write(2) below PIPE_BUF is atomic.
    RecordHeader header{static_cast<int32_t>(failure.stage), static_cast<int32_t>(failure.kind), failure.error_number,
                        static_cast<uint32_t>(std::min<size_t>(failure.message.size(), 3000))};
    char buffer[sizeof header + 3000];
    std::memcpy(buffer, &header, sizeof header);
    std::memcpy(buffer + sizeof header, failure.message.data(), header.message_length);
    write_fully(m_writer.get(), buffer, sizeof header + header.message_length);
}

std::optional<SetupFailure> SetupChannel::read_failure() {
    RecordHeader header;
    if (!read_fully(m_reader.get(), &header, sizeof header)) return std::nullopt;
    SetupFailure failure;
    failure.stage = static_cast<SetupFailure::Stage>(header.stage);
    failure.kind = static_cast<ErrorKind>(header.kind);
    failure.error_number = header.error_number;
    failure.message.resize(std::min<uint32_t>(header.message_length, 3000));
    if (!read_fully(m_reader.get(), failure.message.data(), failure.message.size())) failure.message.clear();
    return failure;
}

}  // namespace glassvm::container
