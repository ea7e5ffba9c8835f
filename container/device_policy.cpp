// The device allow-list, as v1 rule lines and as a hand-assembled cgroup v2 BPF program
// (device_policy.hpp).
#include "container/device_policy.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm::container {

namespace fs = std::filesystem;

namespace {

// ── a small assembler for the few eBPF instructions the program needs ─────────────────────
// (Documentation/bpf/standardization/instruction-set.rst: 8-byte instructions, registers
// r0–r10, r1 holding the context pointer on entry, r0 the return value.)

constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int16_t offset, int32_t immediate) {
    bpf_insn insn{};
    insn.code = code;
    insn.dst_reg = dst & 0xf;
    insn.src_reg = src & 0xf;
    insn.off = offset;
    insn.imm = immediate;
    return insn;
}

// dst = *(u32 *)(src + offset)
bpf_insn load_word(uint8_t dst, uint8_t src, int16_t offset) {
    return instruction(BPF_LDX | BPF_MEM | BPF_W, dst, src, offset, 0);
}
// 32-bit ALU with an immediate (the upper half of dst becomes 0)
bpf_insn alu32(uint8_t operation, uint8_t dst, int32_t immediate) {
    return instruction(BPF_ALU | operation | BPF_K, dst, 0, 0, immediate);
}
// dst = src (32-bit)
bpf_insn move32(uint8_t dst, uint8_t src) { return instruction(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
// if dst != immediate: skip `offset` instructions
bpf_insn jump_if_not_equal(uint8_t dst, int32_t immediate, int16_t offset) {
    return instruction(BPF_JMP | BPF_JNE | BPF_K, dst, 0, offset, immediate);
}
bpf_insn exit_program() { return instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

uint32_t access_bits(const std::string& access) {
    uint32_t bits = 0;
    for (char c : access) {
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    }
    return bits;
}

// One rule: falls through to the next rule unless the access matches, then returns 1.
std::vector<bpf_insn> rule_block(const DeviceRule& rule) {
    std::vector<bpf_insn> checks;
    checks.push_back(jump_if_not_equal(R3, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    if (rule.major) checks.push_back(jump_if_not_equal(R4, static_cast<int32_t>(*rule.major), 0));
    if (rule.minor) checks.push_back(jump_if_not_equal(R5, static_cast<int32_t>(*rule.minor), 0));
    // Every access asked for must be one the rule grants: (asked & ~granted) == 0.
    checks.push_back(move32(R1, R2));
    checks.push_back(alu32(BPF_AND, R1, static_cast<int32_t>(~access_bits(rule.access))));
    checks.push_back(jump_if_not_equal(R1, 0, 0));
    checks.push_back(alu32(BPF_MOV, R0, 1));
    checks.push_back(exit_program());
    // Each conditional jump skips to the end of this block: the first instruction of the next.
    for (size_t i = 0; i < checks.size(); ++i)
        if (checks[i].code == (BPF_JMP | BPF_JNE | BPF_K)) checks[i].off = static_cast<int16_t>(checks.size() - i - 1);
    return checks;
}

long bpf(int command, bpf_attr& attributes) { return ::syscall(SYS_bpf, command, &attributes, sizeof attributes); }

Fd load_program(const std::vector<bpf_insn>& program) {
    static const char kLicense[] = "GPL";  // GPL-compatible, so no helper could be refused (none is used)
    auto attempt = [&](char* log, uint32_t log_size) {
        bpf_attr attributes{};
        attributes.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attributes.insns = reinterpret_cast<uint64_t>(program.data());
        attributes.insn_cnt = static_cast<uint32_t>(program.size());
        attributes.license = reinterpret_cast<uint64_t>(kLicense);
        static const char kName[] = "glassvm_devices";  // shown by bpftool; BPF_OBJ_NAME_LEN with its NUL
        static_assert(sizeof kName <= sizeof attributes.prog_name);
        std::memcpy(attributes.prog_name, kName, sizeof kName);
        if (log) {
            attributes.log_level = 1;
            attributes.log_buf = reinterpret_cast<uint64_t>(log);
            attributes.log_size = log_size;
        }
        return bpf(BPF_PROG_LOAD, attributes);
    };
    long fd = attempt(nullptr, 0);
    if (fd >= 0) return Fd(static_cast<int>(fd));
    int error = errno;
    if (error == EINVAL || error == EACCES) {  // the verifier refused it: say why
        std::string log(1 << 16, '\0');
        if (attempt(log.data(), static_cast<uint32_t>(log.size())) < 0) {
            log.resize(std::strlen(log.c_str()));
            throw Error(ErrorKind::Internal,
                        fmt::format("bpf BPF_PROG_LOAD (device policy): {}: {}", std::strerror(error), log), error);
        }
    }
    throw Error::from_errno("bpf BPF_PROG_LOAD (device policy)", error);
}

}  // namespace

const std::vector<DeviceRule>& allowed_devices() {
    static const std::vector<DeviceRule> rules = {
        {'c', 1, 3, "rwm"},               // /dev/null
        {'c', 1, 5, "rwm"},               // /dev/zero
        {'c', 1, 7, "rwm"},               // /dev/full
        {'c', 1, 8, "rwm"},               // /dev/random
        {'c', 1, 9, "rwm"},               // /dev/urandom
        {'c', 5, 0, "rwm"},               // /dev/tty
        {'c', 5, 1, "rwm"},               // /dev/console
        {'c', 5, 2, "rwm"},               // /dev/ptmx
        {'c', 136, std::nullopt, "rwm"},  // /dev/pts/* (the box's own devpts)
    };
    return rules;
}

std::string device_rule_text(const DeviceRule& rule) {
    auto number = [](const std::optional<uint32_t>& value) {
        return value ? std::to_string(*value) : std::string("*");
    };
    return fmt::format("{} {}:{} {}", rule.type, number(rule.major), number(rule.minor), rule.access);
}

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
    std::vector<bpf_insn> program = {
        load_word(R2, R1, offsetof(bpf_cgroup_dev_ctx, access_type)),
        move32(R3, R2),
        alu32(BPF_AND, R3, 0xffff),  // r3: BPF_DEVCG_DEV_BLOCK or _CHAR
        alu32(BPF_RSH, R2, 16),      // r2: the BPF_DEVCG_ACC_* bits asked for
        load_word(R4, R1, offsetof(bpf_cgroup_dev_ctx, major)),
        load_word(R5, R1, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    for (const DeviceRule& rule : rules) {
        std::vector<bpf_insn> block = rule_block(rule);
        program.insert(program.end(), block.begin(), block.end());
    }
    program.push_back(alu32(BPF_MOV, R0, 0));  // no rule matched: deny
    program.push_back(exit_program());
    return program;
}

void attach_device_filter(const fs::path& cgroup, const std::vector<DeviceRule>& rules) {
    Fd program = load_program(device_filter_program(rules));
    Fd directory(check_syscall(fmt::format("open {}", cgroup.string()),
                               ::open(cgroup.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC)));
    bpf_attr attributes{};
    attributes.target_fd = static_cast<uint32_t>(directory.get());
    attributes.attach_bpf_fd = static_cast<uint32_t>(program.get());
    attributes.attach_type = BPF_CGROUP_DEVICE;
    attributes.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attributes) != 0)
        throw Error::from_errno(fmt::format("bpf BPF_PROG_ATTACH device policy to {}", cgroup.string()), errno);
}

}  // namespace glassvm::container
