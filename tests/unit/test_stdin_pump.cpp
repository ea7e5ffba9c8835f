// Unit tests for StdinPump (host input into the UART from its own thread) and for Fd, the
// descriptor owner it uses.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "vmm/devices/serial_16550.hpp"
#include "vmm/devices/stdin_pump.hpp"

using glassvm::Fd;
using glassvm::Serial16550;
using glassvm::StdinPump;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A pipe whose ends are owned.
struct Pipe {
    Fd read_end;
    Fd write_end;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read_end = Fd(fds[0]);
        write_end = Fd(fds[1]);
    }
    void write(const std::string& text) {
        REQUIRE(::write(write_end.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
};

// The guest side: polls LSR.DR and reads RBR, as a polling driver would.
struct Guest {
    Serial16550 serial{[](uint8_t) {}};

    Guest() {
        uint8_t mcr = 0x02;  // RTS: ready to receive (flow control)
        serial.write(4, {&mcr, 1});
    }

    std::optional<uint8_t> read_byte(Clock::duration timeout = 5s) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            uint8_t status = 0;
            serial.read(5, {&status, 1});
            if (status & 0x01) {
                uint8_t byte = 0;
                serial.read(0, {&byte, 1});
                return byte;
            }
            std::this_thread::sleep_for(1ms);
        }
        return std::nullopt;
    }
    std::string read_text(size_t length) {
        std::string text;
        while (text.size() < length) {
            auto byte = read_byte();
            if (!byte) break;
            text.push_back(static_cast<char>(*byte));
        }
        return text;
    }
    void enable_fifos() {
        uint8_t fcr = 0x01;
        serial.write(2, {&fcr, 1});
    }
};

// How long destroying `pump` takes.
Clock::duration time_to_destroy(std::optional<StdinPump>& pump) {
    const auto start = Clock::now();
    pump.reset();
    return Clock::now() - start;
}

bool wait_until_finished(const StdinPump& pump) {
    const auto deadline = Clock::now() + 5s;
    while (!pump.finished() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    return pump.finished();
}

}  // namespace

TEST_CASE("stdin pump: bytes written to the input reach the guest", "[stdin_pump]") {
    Guest guest;
    Pipe pipe;
    StdinPump pump(guest.serial, pipe.read_end.get());
    pipe.write("hello");
    CHECK(guest.read_text(5) == "hello");
    CHECK_FALSE(pump.finished());
}

TEST_CASE("stdin pump: more input than the receiver holds arrives whole and in order", "[stdin_pump]") {
    Guest guest;
    SECTION("FIFOs off: one byte at a time") {}
    SECTION("FIFOs on: sixteen at a time") { guest.enable_fifos(); }
    Pipe pipe;
    StdinPump pump(guest.serial, pipe.read_end.get());
    std::string text;
    for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>('a' + i % 26));
    pipe.write(text);
    CHECK(guest.read_text(text.size()) == text);
}

TEST_CASE("stdin pump: stops promptly while waiting for input", "[stdin_pump]") {
    Guest guest;
    Pipe pipe;  // open, and nobody writes
    std::optional<StdinPump> pump;
    pump.emplace(guest.serial, pipe.read_end.get());
    std::this_thread::sleep_for(20ms);  // let it block in poll()
    CHECK(time_to_destroy(pump) < 1s);
}

TEST_CASE("stdin pump: stops promptly while waiting for the guest to read", "[stdin_pump]") {
    Guest guest;
    Pipe pipe;
    std::optional<StdinPump> pump;
    pump.emplace(guest.serial, pipe.read_end.get());
    pipe.write("more than one byte");  // RBR holds one; the rest waits in the pump
    std::this_thread::sleep_for(20ms);
    CHECK(time_to_destroy(pump) < 1s);
    CHECK(guest.read_text(1) == "m");
}

TEST_CASE("stdin pump: end of input ends reading", "[stdin_pump]") {
    Guest guest;
    SECTION("a pipe whose writer closed after writing") {
        Pipe pipe;
        pipe.write("bye");
        pipe.write_end.reset();
        StdinPump pump(guest.serial, pipe.read_end.get());
        CHECK(guest.read_text(3) == "bye");
        CHECK(wait_until_finished(pump));
        CHECK_NOTHROW(pump.throw_if_failed());
    }
    SECTION("/dev/null") {
        Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        REQUIRE(null);
        StdinPump pump(guest.serial, null.get());
        CHECK(wait_until_finished(pump));
        CHECK_NOTHROW(pump.throw_if_failed());
    }
    SECTION("an fd that is not open, though the pump's eventfd then gets its number") {
        const int closed_fd = ::dup(STDERR_FILENO);  // dup() returns the lowest free number
        REQUIRE(closed_fd >= 0);
        ::close(closed_fd);
        StdinPump pump(guest.serial, closed_fd);
        CHECK(wait_until_finished(pump));
        CHECK_NOTHROW(pump.throw_if_failed());
    }
}

TEST_CASE("stdin pump: a read error is kept and named", "[stdin_pump]") {
    Guest guest;
    Fd directory(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // read() gives EISDIR
    REQUIRE(directory);
    StdinPump pump(guest.serial, directory.get());
    REQUIRE(wait_until_finished(pump));
    try {
        pump.throw_if_failed();
        FAIL("expected an Error");
    } catch (const glassvm::Error& error) {
        CHECK(std::string(error.what()) == "read stdin: Is a directory");
        CHECK(error.kind() == glassvm::ErrorKind::System);
        CHECK(error.error_number() == EISDIR);
    }
}

TEST_CASE("fd: one owner, closed on destruction, movable", "[fd]") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    Fd write_end(fds[1]);
    const int raw = fds[0];
    {
        Fd owner(raw);
        CHECK(owner);
        CHECK(owner.get() == raw);
        Fd moved(std::move(owner));
        CHECK_FALSE(owner);
        CHECK(owner.get() == -1);
        CHECK(moved.get() == raw);
        Fd assigned;
        CHECK_FALSE(assigned);
        assigned = std::move(moved);
        CHECK(assigned.get() == raw);
        CHECK(::fcntl(raw, F_GETFD) != -1);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1);  // closed by the last owner
    CHECK(errno == EBADF);

    const int released = write_end.release();
    CHECK_FALSE(write_end);
    CHECK(::fcntl(released, F_GETFD) != -1);  // release() did not close it
    ::close(released);
}
