// Reading commands line by line from a file descriptor (a terminal or a pipe) without ever
// blocking for good: the wait wakes up a few times a second to ask whether the VM is stopping
// (a timeout, another vCPU's fatal exit), so the stepper never holds up the end of the VM.
// A terminal in its normal (canonical) mode already gives the user line editing: Backspace,
// Ctrl-U, Ctrl-W; Ctrl-D is the end of input.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace glassvm {

class LineReader {
public:
    explicit LineReader(int fd) : m_fd(fd) {}

    enum class Status {
        Line,
        EndOfInput,
        Abandoned
    };
    struct Result {
        Status status;
        std::string line;  // without its newline; for Status::Line only
    };

    // The next line. Abandoned when `abandon()` turned true while waiting. The last line of
    // input needs no newline. A read error counts as the end of input.
    Result read_line(const std::function<bool()>& abandon);

private:
    std::optional<std::string> take_line();
    bool fill();  // one read(); false at the end of input

    int m_fd;
    std::string m_buffer;
    bool m_ended = false;
};

}  // namespace glassvm
