// Printing an x86 vCPU's registers: the one register dump of glassvm, for the exit stepper's
// `regs`, the GDB stub's monitor and the report of an exit that ends the VM. Bit names follow the
// Intel SDM vol. 3A: RFLAGS 2.3, CR0/CR4 2.5, EFER 2.2.1; segment descriptor fields 3.4.5.
#include "vmm/x86/registers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>
#include <vector>

#include "vmm/x86/cpu_state.hpp"

namespace glassvm {

namespace {

using BitNames = std::vector<std::pair<int, const char*>>;

std::string named_bits(uint64_t value, const BitNames& names) {
    std::vector<std::string_view> set;
    for (auto [bit, name] : names)
        if (value & (1ull << bit)) set.push_back(name);
    return fmt::format("[{}]", fmt::join(set, " "));
}

const BitNames kRflagsBits = {{0, "CF"}, {2, "PF"},  {4, "AF"},  {6, "ZF"},  {7, "SF"},  {8, "TF"},
                              {9, "IF"}, {10, "DF"}, {11, "OF"}, {14, "NT"}, {16, "RF"}, {17, "VM"}};
const BitNames kCr0Bits = {{0, "PE"},  {1, "MP"},  {2, "EM"},  {3, "TS"},  {4, "ET"}, {5, "NE"},
                           {16, "WP"}, {18, "AM"}, {29, "NW"}, {30, "CD"}, {31, "PG"}};
const BitNames kCr4Bits = {{0, "VME"},         {1, "PVI"},   {2, "TSD"},   {3, "DE"},        {4, "PSE"},
                           {5, "PAE"},         {6, "MCE"},   {7, "PGE"},   {8, "PCE"},       {9, "OSFXSR"},
                           {10, "OSXMMEXCPT"}, {11, "UMIP"}, {12, "LA57"}, {16, "FSGSBASE"}, {17, "PCIDE"},
                           {18, "OSXSAVE"},    {20, "SMEP"}, {21, "SMAP"}};
const BitNames kEferBits = {{0, "SCE"}, {8, "LME"}, {10, "LMA"}, {11, "NXE"}};

std::string format_segment(const char* name, const kvm_segment& s) {
    return fmt::format("  {:<4} selector={:04x} base={:016x} limit={:08x} type={:#x} dpl={} {}{}{}{}\n", name,
                       s.selector, s.base, s.limit, s.type, s.dpl, s.present ? "present" : "not-present",
                       s.l ? " L" : "", s.db ? " D/B" : "", s.unusable ? " unusable" : "");
}

}  // namespace

std::string format_general_registers(const kvm_regs& r) {
    return fmt::format(
        "  rax={:016x} rbx={:016x} rcx={:016x} rdx={:016x}\n"
        "  rsi={:016x} rdi={:016x} rbp={:016x} rsp={:016x}\n"
        "  r8 ={:016x} r9 ={:016x} r10={:016x} r11={:016x}\n"
        "  r12={:016x} r13={:016x} r14={:016x} r15={:016x}\n"
        "  rip={:016x} rflags={:08x} {}\n",
        r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
        r.rip, r.rflags, named_bits(r.rflags, kRflagsBits));
}

std::string format_control_registers(const kvm_sregs& s) {
    return fmt::format(
        "  cr0={:016x} {}\n  cr2={:016x} cr3={:016x} cr8={:x}\n  cr4={:016x} {}\n"
        "  efer={:016x} {}  apic_base={:#x}\n",
        s.cr0, named_bits(s.cr0, kCr0Bits), s.cr2, s.cr3, s.cr8, s.cr4, named_bits(s.cr4, kCr4Bits), s.efer,
        named_bits(s.efer, kEferBits), s.apic_base);
}

std::string format_system_registers(const kvm_sregs& s) {
    std::string text;
    for (auto [name, segment] : {std::pair{"cs", &s.cs},
                                 {"ds", &s.ds},
                                 {"es", &s.es},
                                 {"fs", &s.fs},
                                 {"gs", &s.gs},
                                 {"ss", &s.ss},
                                 {"tr", &s.tr},
                                 {"ldtr", &s.ldt}})
        text += format_segment(name, *segment);
    text += format_control_registers(s);
    text += fmt::format("  gdt base={:016x} limit={:#x}   idt base={:016x} limit={:#x}\n", s.gdt.base, s.gdt.limit,
                        s.idt.base, s.idt.limit);
    return text;
}

CpuMode cpu_mode(const kvm_sregs& sregs) {
    if ((sregs.efer & x86::kEferLma) && sregs.cs.l) return CpuMode::Bits64;
    if (!(sregs.cr0 & x86::kCr0Pe)) return CpuMode::Bits16;
    return sregs.cs.db ? CpuMode::Bits32 : CpuMode::Bits16;
}

}  // namespace glassvm
