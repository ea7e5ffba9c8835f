// The CPUID a vCPU sees: what KVM supports, with the per-CPU fields (APIC ids) filled in, and
// the hypervisor's timing leaf saying how fast the TSC runs; and the feature bits `--cpuid`
// hides from the guest.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::x86 {

std::vector<kvm_cpuid_entry2> guest_cpuid(std::vector<kvm_cpuid_entry2> supported, int vcpu_index);

// Whose CPU: leaf 0's vendor string, EBX-EDX-ECX (SDM vol. 2A, CPUID leaf 00H). KVM reports the
// host's in KVM_GET_SUPPORTED_CPUID, and so tells which of its two back ends runs the guests
// (kvm-intel with VT-x, kvm-amd with AMD-V): they differ in places glassvm reports.
enum class CpuVendor {
    Intel,
    Amd,
    Other
};
CpuVendor cpu_vendor(const std::vector<kvm_cpuid_entry2>& entries);
std::string_view to_string(CpuVendor vendor);

// The hypervisor timing leaf, 0x40000010 (VMware's convention, which KVM guests and QEMU follow):
// EAX = TSC frequency in kHz, EBX = local APIC bus frequency in kHz (KVM's APIC timer counts at
// 1 GHz). Without it a kernel booted through PVH — which passes no TSC frequency — has to
// calibrate or guess. The hypervisor's leaf 0x40000000 is raised to announce 0x40000010; a
// kvm_cpuid_entry2 list without that leaf (no hypervisor signature) is returned unchanged.
inline constexpr uint32_t kHypervisorLeaf = 0x4000'0000;
inline constexpr uint32_t kTimingLeaf = 0x4000'0010;
inline constexpr uint32_t kKvmApicBusKhz = 1'000'000;
std::vector<kvm_cpuid_entry2> with_timing_leaf(std::vector<kvm_cpuid_entry2> entries, uint32_t tsc_khz);

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
