// Hiding CPUID feature bits from the guest (`glassvm run --cpuid -cx16,-xsave,1.ecx:13=0`). A
// kernel decides what to use from CPUID (Intel SDM vol. 2A, "CPUID"), so hiding a bit keeps it
// away from an instruction — useful where the host cannot run it for the guest (this project's
// nested development machines emulate ring 0 and lack cmpxchg16b and xrstor). Only hiding is
// offered: setting a bit KVM did not offer would promise the guest what the vCPU cannot do.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::x86 {

enum class CpuidRegister {
    Eax,
    Ebx,
    Ecx,
    Edx
};

// One bit to clear: CPUID.(function[, index]).register[bit].
struct CpuidBit {
    uint32_t function = 0;
    std::optional<uint32_t> index;  // the sub-leaf (ECX input); nullopt: every sub-leaf
    CpuidRegister reg = CpuidRegister::Eax;
    uint8_t bit = 0;

    bool operator==(const CpuidBit&) const = default;
};

struct CpuidEdits {
    std::vector<CpuidBit> hidden_bits;
    std::vector<uint32_t> hidden_leaves;  // whole leaves removed (XSAVE's leaf 0xD)
    std::vector<std::string> names;       // what the user asked for, for messages

    bool empty() const { return hidden_bits.empty() && hidden_leaves.empty(); }
};

// Parses a comma-separated list: `-NAME` hides a named feature (see cpuid_feature_names()), and
// `LEAF[.SUBLEAF].REG:BIT=0` hides one raw bit (LEAF and SUBLEAF decimal or 0x-hex, REG one of
// eax/ebx/ecx/edx, BIT 0–31). Hiding xsave also hides leaf 0xD, where the XSAVE state layout is.
// A malformed item is BadInput naming it and saying what is allowed.
CpuidEdits parse_cpuid_edits(std::string_view text);

// "cx16 (1.ecx:13), xsave (1.ecx:26, and leaf 0xd), …" for --help and error messages.
std::string cpuid_feature_names();

// `entries` with the edits applied.
std::vector<kvm_cpuid_entry2> apply_cpuid_edits(std::vector<kvm_cpuid_entry2> entries, const CpuidEdits& edits);

}  // namespace glassvm::x86
