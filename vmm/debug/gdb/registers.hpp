// The registers glassvm shows gdb, in gdb's x86-64 numbering (gdb's features/i386/
// 64bit-core.xml and 64bit-segments.xml, then glassvm's own control-register feature), and the
// conversion between KVM's kvm_regs/kvm_sregs and the `g`/`G`/`p`/`P` packets (gdb manual,
// "Remote Protocol" → "Packets": each register as its bytes, little-endian, in hex); and the
// target description gdb reads with qXfer:features:read, which names them.
//
// The table here is the one source of truth: target_description.cpp writes target.xml from
// it, so the numbers gdb learns and the packet layout cannot disagree. The x87 registers are
// declared (gdb's amd64 target requires them in the core feature) but not served: glassvm
// reports them as unavailable ("xx…") and ignores writes to them. No SSE feature is declared.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace glassvm::gdb {

enum class RegisterFeature {
    Core,
    Segments,
    System
};

struct RegisterInfo {
    std::string_view name;
    uint16_t bits;
    std::string_view type;   // a gdb target-description type: int64, code_ptr, i387_ext, …
    std::string_view group;  // "" (gdb's default), "float" or "system"
    RegisterFeature feature;
};

// Every register, indexed by its gdb register number.
std::span<const RegisterInfo> register_table();

// Register numbers gdb's stop replies and the stub use by name.
inline constexpr size_t kRegisterRbp = 6;
inline constexpr size_t kRegisterRsp = 7;
inline constexpr size_t kRegisterRip = 16;

// What a vCPU's registers are, as KVM reports them.
struct CpuState {
    kvm_regs regs{};
    kvm_sregs sregs{};
};

// The register's value; nullopt for registers glassvm does not serve (x87) or numbers past
// the table.
std::optional<uint64_t> read_register(const CpuState& state, size_t number);
// Sets the register; false when it is read-only here (segment selectors: loading one would
// need its descriptor too) or not served.
bool write_register(CpuState& state, size_t number, uint64_t value);

// The `g` reply: every register in number order, unavailable ones as "xx…".
std::string encode_all_registers(const CpuState& state);
// Applies a `G` packet: writable registers take their new values, the others are ignored.
// False (and `state` untouched) unless `hex` is exactly as long as encode_all_registers().
bool decode_all_registers(std::string_view hex, CpuState& state);

// The `p` reply for one register ("xx…" when unavailable); nullopt past the table.
std::optional<std::string> encode_register(const CpuState& state, size_t number);
// Applies a `P` packet's value; false for a bad length, unknown or read-only register.
bool decode_register(std::string_view hex, size_t number, CpuState& state);

// The whole target.xml.
const std::string& target_xml();

// The reply to `qXfer:features:read:ANNEX:OFFSET,LENGTH`: "m" + the (escaped) chunk when more
// follows, "l" + the chunk when it reaches the end; nullopt for an annex other than target.xml.
std::optional<std::string> read_target_description(std::string_view annex, uint64_t offset, uint64_t length);

}  // namespace glassvm::gdb
