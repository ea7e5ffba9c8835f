// Unit tests for the pure parts of the box's defences: the device allow-list as v1 lines and
// as the BPF program glassvm assembles (run here on a tiny interpreter of the instructions it
// uses, so every rule and every jump is exercised without a kernel), and the personality(2)
// rules of the seccomp filter (derived by hand in seccomp_filter.cpp, checked here).
#include <linux/bpf.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <stdexcept>

#include "container/device_policy.hpp"
#include "container/seccomp_filter.hpp"

using namespace glassvm::container;

namespace {

// Runs `program` on one bpf_cgroup_dev_ctx; only the instruction forms device_policy.cpp emits.
uint64_t run_device_program(const std::vector<bpf_insn>& program, const bpf_cgroup_dev_ctx& context) {
    uint64_t reg[11] = {};
    const auto* memory = reinterpret_cast<const uint8_t*>(&context);
    for (size_t pc = 0; pc < program.size(); ++pc) {
        const bpf_insn& insn = program[pc];
        uint64_t& dst = reg[insn.dst_reg];
        switch (insn.code) {
            case BPF_LDX | BPF_MEM | BPF_W: {
                REQUIRE(insn.src_reg == 1);  // only the context is ever read
                REQUIRE(insn.off >= 0);
                REQUIRE(static_cast<size_t>(insn.off) + 4 <= sizeof context);
                uint32_t word;
                std::memcpy(&word, memory + insn.off, 4);
                dst = word;
                break;
            }
            case BPF_ALU | BPF_MOV | BPF_X:
                dst = static_cast<uint32_t>(reg[insn.src_reg]);
                break;
            case BPF_ALU | BPF_MOV | BPF_K:
                dst = static_cast<uint32_t>(insn.imm);
                break;
            case BPF_ALU | BPF_AND | BPF_K:
                dst = static_cast<uint32_t>(dst) & static_cast<uint32_t>(insn.imm);
                break;
            case BPF_ALU | BPF_RSH | BPF_K:
                dst = static_cast<uint32_t>(dst) >> insn.imm;
                break;
            case BPF_JMP | BPF_JNE | BPF_K:
                if (dst != static_cast<uint64_t>(static_cast<int64_t>(insn.imm))) {
                    REQUIRE(insn.off >= 0);
                    pc += static_cast<size_t>(insn.off);
                    REQUIRE(pc + 1 < program.size());  // never past the last instruction
                }
                break;
            case BPF_JMP | BPF_EXIT:
                return reg[0];
            default:
                FAIL("instruction code " << int(insn.code) << " is not one device_policy.cpp emits");
        }
    }
    FAIL("the program ran off its end");
    return 0;
}

uint64_t decide(char type, uint32_t major, uint32_t minor, uint32_t access) {
    bpf_cgroup_dev_ctx context{};
    context.access_type = (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    context.major = major;
    context.minor = minor;
    return run_device_program(device_filter_program(allowed_devices()), context);
}

constexpr uint32_t kRead = BPF_DEVCG_ACC_READ, kWrite = BPF_DEVCG_ACC_WRITE, kMknod = BPF_DEVCG_ACC_MKNOD;

}  // namespace

TEST_CASE("device policy: OCI's default nodes as v1 devices.allow lines", "[box]") {
    std::vector<std::string> lines;
    for (const DeviceRule& rule : allowed_devices()) lines.push_back(device_rule_text(rule));
    CHECK(lines == std::vector<std::string>{"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                            "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"});
}

TEST_CASE("device policy: the BPF program allows exactly the listed nodes, mknod included", "[box]") {
    for (uint32_t minor : {3u, 5u, 7u, 8u, 9u}) {
        INFO("c 1:" << minor);
        CHECK(decide('c', 1, minor, kRead | kWrite) == 1);
        CHECK(decide('c', 1, minor, kMknod) == 1);
    }
    CHECK(decide('c', 5, 0, kRead | kWrite) == 1);    // tty
    CHECK(decide('c', 5, 1, kRead | kWrite) == 1);    // console
    CHECK(decide('c', 5, 2, kRead | kWrite) == 1);    // ptmx
    CHECK(decide('c', 136, 0, kRead | kWrite) == 1);  // pts/0 …
    CHECK(decide('c', 136, 4095, kRead) == 1);        // … and any other
    // Host devices a box must neither make nor open.
    CHECK(decide('c', 1, 1, kRead) == 0);  // /dev/mem
    CHECK(decide('c', 1, 2, kRead) == 0);  // /dev/kmem
    CHECK(decide('c', 1, 1, kMknod) == 0);
    CHECK(decide('c', 10, 229, kRead | kWrite) == 0);  // /dev/fuse
    CHECK(decide('c', 4, 0, kWrite) == 0);             // /dev/tty0
    CHECK(decide('b', 8, 0, kRead) == 0);              // /dev/sda
    CHECK(decide('b', 8, 0, kMknod) == 0);
    CHECK(decide('b', 1, 3, kRead) == 0);  // the type counts, not only the numbers
    CHECK(decide('b', 136, 0, kRead) == 0);
    CHECK(decide('c', 137, 0, kRead) == 0);
}

TEST_CASE("device policy: the program is what the verifier expects: returns 0 or 1, ends in exit", "[box]") {
    std::vector<bpf_insn> program = device_filter_program(allowed_devices());
    REQUIRE(program.size() >= 2);
    CHECK(program.back().code == (BPF_JMP | BPF_EXIT));
    CHECK(program.size() < 4096);  // BPF_MAXINSNS for an unprivileged-size program
    // With no rules at all, everything is denied.
    bpf_cgroup_dev_ctx context{};
    context.access_type = (kRead << 16) | BPF_DEVCG_DEV_CHAR;
    context.major = 1;
    context.minor = 3;
    CHECK(run_device_program(device_filter_program({}), context) == 0);
}

TEST_CASE("seccomp: personality passes Docker's five values and nothing else", "[box]") {
    for (uint64_t allowed : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
        INFO(std::hex << allowed);
        CHECK(personality_allowed(allowed));
    }
    CHECK_FALSE(personality_allowed(0x0040000));  // ADDR_NO_RANDOMIZE
    CHECK_FALSE(personality_allowed(0x0400000));  // READ_IMPLIES_EXEC
    CHECK_FALSE(personality_allowed(0x0040008));
    CHECK_FALSE(personality_allowed(0xfffffffe));
    CHECK_FALSE(personality_allowed(0x100000000));  // the kernel would read 0 here: still refused
    CHECK_FALSE(personality_allowed(0x100040000));
    CHECK_FALSE(personality_allowed(~0ULL));
    // Every value with at most two bits set, with at most two bits clear, and a million random
    // ones: allowed exactly when it is one of the five.
    auto expected = [](uint64_t v) { return v == 0 || v == 8 || v == 0x20000 || v == 0x20008 || v == 0xffffffff; };
    std::vector<uint64_t> values;
    for (unsigned a = 0; a < 33; ++a)
        for (unsigned b = 0; b < 33; ++b) {
            uint64_t v = (a < 32 ? 1ULL << a : 0) | (b < 32 ? 1ULL << b : 0);
            values.push_back(v);
            values.push_back(~v & 0xffffffffULL);
        }
    std::mt19937_64 random(16);
    for (int i = 0; i < 1'000'000; ++i) values.push_back(random() & 0xffffffffULL);
    size_t mismatches = 0;
    for (uint64_t v : values) mismatches += personality_allowed(v) != expected(v);
    CHECK(mismatches == 0);
}
