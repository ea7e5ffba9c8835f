// The serial port's host side (vmm/devices/batched_output.hpp): a byte outside a batch is
// written at once; inside one, nothing leaves until the outermost batch ends, and then all of it
// does, in order, in one write.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/error.hpp"
#include "vmm/devices/batched_output.hpp"

namespace {

struct Pipe {
    int read_end = -1, write_end = -1;
    Pipe() {
        int ends[2];
        REQUIRE(::pipe2(ends, O_NONBLOCK | O_CLOEXEC) == 0);
        read_end = ends[0];
        write_end = ends[1];
    }
    ~Pipe() {
        ::close(read_end);
        ::close(write_end);
    }
    // Everything written so far ("" when nothing is there).
    std::string drain() const {
        std::string text;
        char buffer[256];
        for (ssize_t got; (got = ::read(read_end, buffer, sizeof buffer)) > 0;) text.append(buffer, size_t(got));
        return text;
    }
};

void put_text(glassvm::BatchedOutput& output, std::string_view text) {
    for (char c : text) output.put(uint8_t(c));
}

}  // namespace

TEST_CASE("batched output: bytes outside a batch leave at once", "[serial]") {
    Pipe pipe;
    glassvm::BatchedOutput output(pipe.write_end);
    put_text(output, "ab");
    CHECK(pipe.drain() == "ab");
}

TEST_CASE("batched output: a batch's bytes leave together when the outermost batch ends", "[serial]") {
    Pipe pipe;
    glassvm::BatchedOutput output(pipe.write_end);
    output.begin_batch();
    put_text(output, "hello ");
    output.begin_batch();  // nested: the inner end writes nothing yet
    put_text(output, "world");
    output.end_batch();
    CHECK(pipe.drain().empty());
    output.end_batch();
    CHECK(pipe.drain() == "hello world");
    put_text(output, "!");  // and after it, at once again
    CHECK(pipe.drain() == "!");
    output.begin_batch();
    output.end_batch();  // an empty batch writes nothing
    CHECK(pipe.drain().empty());
}

TEST_CASE("batched output: a failed write is an error naming the serial output", "[serial]") {
    glassvm::BatchedOutput output(-1);  // EBADF
    CHECK_THROWS_WITH(output.put('x'), Catch::Contains("write serial output"));
    output.begin_batch();
    output.put('y');
    CHECK_THROWS_WITH(output.end_batch(), Catch::Contains("write serial output"));
}
