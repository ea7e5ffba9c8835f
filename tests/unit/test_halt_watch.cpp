// Unit tests for the halt watch's rounds: who is held, who decides, who is released.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "vmm/run/halt_watch.hpp"

using glassvm::HaltWatch;
using Verdict = glassvm::HaltWatch::Verdict;
using namespace std::chrono_literals;

TEST_CASE("halt watch: a vCPU not asked to check in has no request", "[halt]") {
    HaltWatch watch(2);
    CHECK_FALSE(watch.take_request(0));
    watch.begin_round();
    REQUIRE(watch.take_request(0));
    CHECK_FALSE(watch.take_request(0));  // consumed
    CHECK(watch.take_request(1));
}

TEST_CASE("halt watch: one vCPU asleep is the last one asleep", "[halt]") {
    HaltWatch watch(1);
    watch.begin_round();
    auto round = watch.take_request(0);
    REQUIRE(round);
    CHECK(watch.check_in(*round, true) == Verdict::LastAsleep);
    watch.conclude();
}

TEST_CASE("halt watch: a running vCPU resumes at once", "[halt]") {
    HaltWatch watch(1);
    watch.begin_round();
    CHECK(watch.check_in(*watch.take_request(0), false) == Verdict::Resume);
}

TEST_CASE("halt watch: an asleep vCPU is held until another is found running", "[halt]") {
    HaltWatch watch(2);
    watch.begin_round();
    uint64_t round = *watch.take_request(0);
    std::atomic<bool> released{false};
    std::jthread asleep([&] {
        CHECK(watch.check_in(round, true) == Verdict::Resume);
        released = true;
    });
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(released.load());
    CHECK(watch.check_in(*watch.take_request(1), false) == Verdict::Resume);
    asleep.join();
    CHECK(released.load());
}

TEST_CASE("halt watch: the last of all-asleep decides while the others are held", "[halt]") {
    HaltWatch watch(2);
    watch.begin_round();
    uint64_t round = *watch.take_request(0);
    std::atomic<bool> released{false};
    std::jthread first([&] {
        CHECK(watch.check_in(round, true) == Verdict::Resume);
        released = true;
    });
    std::this_thread::sleep_for(10ms);
    CHECK(watch.check_in(*watch.take_request(1), true) == Verdict::LastAsleep);
    std::this_thread::sleep_for(10ms);
    CHECK_FALSE(released.load());  // still held while the decision is made
    watch.conclude();
    first.join();
    CHECK(released.load());
}

TEST_CASE("halt watch: a new round or close releases the held and ignores stale check-ins", "[halt]") {
    HaltWatch watch(3);
    watch.begin_round();
    uint64_t old_round = *watch.take_request(0);
    std::jthread held([&] { CHECK(watch.check_in(old_round, true) == Verdict::Resume); });
    std::this_thread::sleep_for(10ms);
    watch.begin_round();  // the third vCPU never answered: a new round frees the first
    held.join();
    CHECK(watch.check_in(old_round, true) == Verdict::Resume);  // stale: not counted

    uint64_t round = *watch.take_request(1);
    std::jthread again([&] { CHECK(watch.check_in(round, true) == Verdict::Resume); });
    std::this_thread::sleep_for(10ms);
    watch.close();
    again.join();
    CHECK(watch.check_in(round, true) == Verdict::Resume);  // closed for good
}
