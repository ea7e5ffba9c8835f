// kvm_regs/kvm_sregs ↔ gdb's x86-64 register numbers and the g/G/p/P packets; the target
// description.
#include "vmm/debug/gdb/registers.hpp"

#include <array>

#include <fmt/format.h>
#include "vmm/debug/gdb/packet.hpp"

namespace glassvm::gdb {

namespace {

using enum RegisterFeature;

constexpr std::array<RegisterInfo, 48> kRegisters = {{
    {"rax", 64, "int64", "", Core},         {"rbx", 64, "int64", "", Core},
    {"rcx", 64, "int64", "", Core},         {"rdx", 64, "int64", "", Core},
    {"rsi", 64, "int64", "", Core},         {"rdi", 64, "int64", "", Core},
    {"rbp", 64, "data_ptr", "", Core},      {"rsp", 64, "data_ptr", "", Core},
    {"r8", 64, "int64", "", Core},          {"r9", 64, "int64", "", Core},
    {"r10", 64, "int64", "", Core},         {"r11", 64, "int64", "", Core},
    {"r12", 64, "int64", "", Core},         {"r13", 64, "int64", "", Core},
    {"r14", 64, "int64", "", Core},         {"r15", 64, "int64", "", Core},
    {"rip", 64, "code_ptr", "", Core},      {"eflags", 32, "i386_eflags", "", Core},
    {"cs", 32, "int32", "", Core},          {"ss", 32, "int32", "", Core},
    {"ds", 32, "int32", "", Core},          {"es", 32, "int32", "", Core},
    {"fs", 32, "int32", "", Core},          {"gs", 32, "int32", "", Core},
    {"st0", 80, "i387_ext", "", Core},      {"st1", 80, "i387_ext", "", Core},
    {"st2", 80, "i387_ext", "", Core},      {"st3", 80, "i387_ext", "", Core},
    {"st4", 80, "i387_ext", "", Core},      {"st5", 80, "i387_ext", "", Core},
    {"st6", 80, "i387_ext", "", Core},      {"st7", 80, "i387_ext", "", Core},
    {"fctrl", 32, "int", "float", Core},    {"fstat", 32, "int", "float", Core},
    {"ftag", 32, "int", "float", Core},     {"fiseg", 32, "int", "float", Core},
    {"fioff", 32, "int", "float", Core},    {"foseg", 32, "int", "float", Core},
    {"fooff", 32, "int", "float", Core},    {"fop", 32, "int", "float", Core},
    {"fs_base", 64, "int", "", Segments},   {"gs_base", 64, "int", "", Segments},
    {"cr0", 64, "int64", "system", System}, {"cr2", 64, "int64", "system", System},
    {"cr3", 64, "int64", "system", System}, {"cr4", 64, "int64", "system", System},
    {"cr8", 64, "int64", "system", System}, {"efer", 64, "int64", "system", System},
}};

constexpr size_t kEflags = 17, kFirstSelector = 18, kFirstSegmentBase = 40;

size_t byte_size(size_t number) { return kRegisters[number].bits / 8; }

// The field behind each served 64-bit register number (const or not, as `state` is); nullptr
// for selectors and the x87 registers.
template <typename State>
auto field(State& state, size_t number) -> decltype(&state.regs.rax) {
    auto& r = state.regs;
    auto& s = state.sregs;
    std::array general = {&r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rbp, &r.rsp, &r.r8,
                          &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15, &r.rip, &r.rflags};
    if (number < general.size()) return general[number];
    std::array system = {&s.fs.base, &s.gs.base, &s.cr0, &s.cr2, &s.cr3, &s.cr4, &s.cr8, &s.efer};
    if (number >= kFirstSegmentBase && number < kFirstSegmentBase + system.size())
        return system[number - kFirstSegmentBase];
    return nullptr;
}

std::optional<uint16_t> selector(const CpuState& state, size_t number) {
    const kvm_sregs& s = state.sregs;
    std::array segments = {&s.cs, &s.ss, &s.ds, &s.es, &s.fs, &s.gs};
    if (number < kFirstSelector || number >= kFirstSelector + segments.size()) return std::nullopt;
    return segments[number - kFirstSelector]->selector;
}

std::string unavailable(size_t number) { return std::string(2 * byte_size(number), 'x'); }

}  // namespace

std::span<const RegisterInfo> register_table() { return kRegisters; }

std::optional<uint64_t> read_register(const CpuState& state, size_t number) {
    if (number >= kRegisters.size()) return std::nullopt;
    if (auto value = selector(state, number)) return *value;
    const auto* value = field(state, number);
    if (!value) return std::nullopt;
    return number == kEflags ? (*value & 0xffff'ffff) : *value;  // eflags is 32 bits wide in gdb
}

bool write_register(CpuState& state, size_t number, uint64_t value) {
    if (number >= kRegisters.size()) return false;
    auto* target = field(state, number);
    if (!target) return false;
    *target = value;
    return true;
}

std::string encode_all_registers(const CpuState& state) {
    std::string hex;
    for (size_t number = 0; number < kRegisters.size(); ++number) hex += *encode_register(state, number);
    return hex;
}

bool decode_all_registers(std::string_view hex, CpuState& state) {
    if (hex.size() != encode_all_registers(state).size()) return false;
    CpuState updated = state;
    size_t offset = 0;
    for (size_t number = 0; number < kRegisters.size(); ++number) {
        std::string_view slice = hex.substr(offset, 2 * byte_size(number));
        offset += slice.size();
        if (!field(updated, number) || slice.find('x') != std::string_view::npos) continue;
        auto value = from_hex_little_endian(slice, byte_size(number));
        if (!value) return false;
        write_register(updated, number, *value);
    }
    state = updated;
    return true;
}

std::optional<std::string> encode_register(const CpuState& state, size_t number) {
    if (number >= kRegisters.size()) return std::nullopt;
    auto value = read_register(state, number);
    return value ? to_hex_little_endian(*value, byte_size(number)) : unavailable(number);
}

bool decode_register(std::string_view hex, size_t number, CpuState& state) {
    if (number >= kRegisters.size()) return false;
    auto value = from_hex_little_endian(hex, byte_size(number));
    return value && write_register(state, number, *value);
}

namespace {

// The flags type gdb's own 64bit-core.xml gives eflags, so `info registers` names the bits.
constexpr std::string_view kEflagsType = R"(    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/> <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/> <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/> <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/> <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/> <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/> <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/> <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/> <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
)";

std::string_view feature_name(RegisterFeature feature) {
    switch (feature) {
        case RegisterFeature::Core:
            return "org.gnu.gdb.i386.core";
        case RegisterFeature::Segments:
            return "org.gnu.gdb.i386.segments";
        case RegisterFeature::System:
            return "org.glassvm.x86.system";  // CR0–CR8, EFER
    }
    return "";
}

std::string feature_xml(RegisterFeature feature) {
    std::string xml = fmt::format("  <feature name=\"{}\">\n", feature_name(feature));
    if (feature == RegisterFeature::Core) xml += kEflagsType;
    auto registers = register_table();
    for (size_t number = 0; number < registers.size(); ++number) {
        const RegisterInfo& reg = registers[number];
        if (reg.feature != feature) continue;
        std::string group = reg.group.empty() ? "" : fmt::format(" group=\"{}\"", reg.group);
        xml += fmt::format("    <reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"{}/>\n", reg.name, reg.bits,
                           reg.type, number, group);
    }
    return xml + "  </feature>\n";
}

std::string build_target_xml() {
    std::string xml =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
        "<target version=\"1.0\">\n"
        "  <architecture>i386:x86-64</architecture>\n"
        "  <osabi>none</osabi>\n";  // a bare-metal kernel, not a Linux process
    for (RegisterFeature feature : {RegisterFeature::Core, RegisterFeature::Segments, RegisterFeature::System})
        xml += feature_xml(feature);
    return xml + "</target>\n";
}

}  // namespace

const std::string& target_xml() {
    static const std::string xml = build_target_xml();
    return xml;
}

std::optional<std::string> read_target_description(std::string_view annex, uint64_t offset, uint64_t length) {
    if (annex != "target.xml") return std::nullopt;
    const std::string& xml = target_xml();
    if (offset >= xml.size()) return std::string("l");
    std::string_view chunk = std::string_view(xml).substr(offset, length);
    bool last = offset + chunk.size() >= xml.size();
    return (last ? "l" : "m") + escape_binary(chunk);
}

}  // namespace glassvm::gdb
