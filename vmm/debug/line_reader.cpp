// LineReader: poll() with a short timeout, read() what is there, cut lines at '\n'.
#include "vmm/debug/line_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace glassvm {

namespace {

constexpr int kPollMilliseconds = 100;  // how soon a stopping VM is noticed

}  // namespace

std::optional<std::string> LineReader::take_line() {
    size_t newline = m_buffer.find('\n');
    if (newline == std::string::npos) return std::nullopt;
    std::string line = m_buffer.substr(0, newline);
    m_buffer.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

bool LineReader::fill() {
    char chunk[512];
    ssize_t count = ::read(m_fd, chunk, sizeof chunk);
    if (count > 0) {
        m_buffer.append(chunk, static_cast<size_t>(count));
        return true;
    }
    return count < 0 && (errno == EINTR || errno == EAGAIN);  // interrupted: not the end
}

LineReader::Result LineReader::read_line(const std::function<bool()>& abandon) {
    for (;;) {
        if (auto line = take_line()) return {Status::Line, std::move(*line)};
        if (m_ended) {
            if (m_buffer.empty()) return {Status::EndOfInput, {}};
            return {Status::Line, std::exchange(m_buffer, {})};  // a last line without '\n'
        }
        if (abandon()) return {Status::Abandoned, {}};
        pollfd waiting{m_fd, POLLIN, 0};
        int ready = ::poll(&waiting, 1, kPollMilliseconds);
        if (ready < 0 && errno != EINTR) m_ended = true;
        if (ready > 0 && !fill()) m_ended = true;
    }
}

}  // namespace glassvm
