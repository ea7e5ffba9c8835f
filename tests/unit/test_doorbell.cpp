// Unit tests for the doorbell's counting (the eventfd KVM would signal, signalled by hand).
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>

#include "vmm/devices/doorbell.hpp"

namespace {

void signal(int fd, uint64_t count) {
    REQUIRE(::write(fd, &count, sizeof count) == static_cast<ssize_t>(sizeof count));
}

}  // namespace

TEST_CASE("the doorbell adds up every signal of its eventfd", "[doorbell]") {
    glassvm::Doorbell doorbell;
    CHECK(doorbell.rings() == 0);  // nothing yet: reading must not block
    signal(doorbell.event_fd(), 3);
    CHECK(doorbell.rings() == 3);
    CHECK(doorbell.rings() == 3);  // read again with no new rings
    signal(doorbell.event_fd(), 1);
    signal(doorbell.event_fd(), 1);
    CHECK(doorbell.rings() == 5);
}
