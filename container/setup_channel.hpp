// How a failure inside the box reaches glassvm. The box's set-up runs in another process (in
// other namespaces), so it cannot throw to glassvm: it writes one record on a close-on-exec
// pipe instead, and glassvm turns it back into the same glassvm::Error. End of file with no
// record means the workload's execve succeeded (close-on-exec closed the last writer).
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm::container {

struct SetupFailure {
    enum class Stage {
        SetUp,
        Exec
    } stage = Stage::SetUp;
    ErrorKind kind = ErrorKind::System;
    int error_number = 0;
    std::string message;
};

class SetupChannel {
public:
    // A close-on-exec pipe.
    SetupChannel();

    // In the box: report and keep going (the caller then exits). Never throws.
    void report(const SetupFailure& failure) noexcept;
    // In glassvm, after the box started: drop the write end, then read until end of file.
    void close_writer() { m_writer.reset(); }
    // In the box: the read end is glassvm's; the write end is kept (and named) when the box
    // closes the descriptors it inherited.
    void close_reader() { m_reader.reset(); }
    int writer() const { return m_writer.get(); }
    std::optional<SetupFailure> read_failure();

private:
    Fd m_reader, m_writer;
};

}  // namespace glassvm::container
