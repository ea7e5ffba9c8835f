// Per-vCPU CPUID: KVM reports what it can virtualise; the VMM still has to say which CPU is
// which (SDM vol. 2A, CPUID leaf 01H EBX[31:24] and leaf 0BH EDX: the APIC id), and how fast
// the TSC runs (the hypervisor timing leaf).
#include "vmm/x86/cpuid.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include "base/error.hpp"

namespace glassvm::x86 {

std::vector<kvm_cpuid_entry2> guest_cpuid(std::vector<kvm_cpuid_entry2> entries, int vcpu_index) {
    auto apic_id = static_cast<uint32_t>(vcpu_index);
    for (auto& entry : entries) {
        if (entry.function == 0x1) entry.ebx = (entry.ebx & 0x00ffffff) | (apic_id << 24);
        if (entry.function == 0xB || entry.function == 0x1F) entry.edx = apic_id;
    }
    return entries;
}

CpuVendor cpu_vendor(const std::vector<kvm_cpuid_entry2>& entries) {
    auto leaf0 = std::find_if(entries.begin(), entries.end(), [](const auto& entry) { return entry.function == 0; });
    if (leaf0 == entries.end()) return CpuVendor::Other;
    char name[12];
    std::memcpy(name, &leaf0->ebx, 4);
    std::memcpy(name + 4, &leaf0->edx, 4);
    std::memcpy(name + 8, &leaf0->ecx, 4);
    std::string_view vendor(name, sizeof name);
    if (vendor == "GenuineIntel") return CpuVendor::Intel;
    if (vendor == "AuthenticAMD") return CpuVendor::Amd;
    return CpuVendor::Other;
}

std::string_view to_string(CpuVendor vendor) {
    switch (vendor) {
        case CpuVendor::Intel:
            return "Intel";
        case CpuVendor::Amd:
            return "AMD";
        case CpuVendor::Other:
            break;
    }
    return "other";
}

std::vector<kvm_cpuid_entry2> with_timing_leaf(std::vector<kvm_cpuid_entry2> entries, uint32_t tsc_khz) {
    auto hypervisor = std::find_if(entries.begin(), entries.end(),
                                   [](const auto& entry) { return entry.function == kHypervisorLeaf; });
    if (hypervisor == entries.end() || tsc_khz == 0) return entries;
    hypervisor->eax = std::max(hypervisor->eax, kTimingLeaf);  // EAX: the highest hypervisor leaf
    std::erase_if(entries, [](const auto& entry) { return entry.function == kTimingLeaf; });
    kvm_cpuid_entry2 timing{};
    timing.function = kTimingLeaf;
    timing.eax = tsc_khz;
    timing.ebx = kKvmApicBusKhz;
    entries.push_back(timing);
    return entries;
}

namespace {

using enum CpuidRegister;

struct NamedFeature {
    std::string_view name;
    CpuidBit bit;
    std::optional<uint32_t> hidden_leaf;  // a leaf that only makes sense with the feature
};

constexpr uint32_t kXsaveLeaf = 0xD;

const std::array<NamedFeature, 22> kFeatures{{
    {"sse3", {1, std::nullopt, Ecx, 0}, std::nullopt},
    {"pclmulqdq", {1, std::nullopt, Ecx, 1}, std::nullopt},
    {"ssse3", {1, std::nullopt, Ecx, 9}, std::nullopt},
    {"fma", {1, std::nullopt, Ecx, 12}, std::nullopt},
    {"cx16", {1, std::nullopt, Ecx, 13}, std::nullopt},
    {"pcid", {1, std::nullopt, Ecx, 17}, std::nullopt},
    {"sse4_1", {1, std::nullopt, Ecx, 19}, std::nullopt},
    {"sse4_2", {1, std::nullopt, Ecx, 20}, std::nullopt},
    {"x2apic", {1, std::nullopt, Ecx, 21}, std::nullopt},
    {"movbe", {1, std::nullopt, Ecx, 22}, std::nullopt},
    {"popcnt", {1, std::nullopt, Ecx, 23}, std::nullopt},
    {"tsc_deadline", {1, std::nullopt, Ecx, 24}, std::nullopt},
    {"aes", {1, std::nullopt, Ecx, 25}, std::nullopt},
    {"xsave", {1, std::nullopt, Ecx, 26}, kXsaveLeaf},
    {"avx", {1, std::nullopt, Ecx, 28}, std::nullopt},
    {"rdrand", {1, std::nullopt, Ecx, 30}, std::nullopt},
    {"fsgsbase", {7, 0, Ebx, 0}, std::nullopt},
    {"avx2", {7, 0, Ebx, 5}, std::nullopt},
    {"smep", {7, 0, Ebx, 7}, std::nullopt},
    {"avx512f", {7, 0, Ebx, 16}, std::nullopt},
    {"smap", {7, 0, Ebx, 20}, std::nullopt},
    {"rdtscp", {0x8000'0001, std::nullopt, Edx, 27}, std::nullopt},
}};

constexpr std::array<std::string_view, 4> kRegisterNames{"eax", "ebx", "ecx", "edx"};

std::string describe(const CpuidBit& bit) {
    std::string leaf = bit.function < 10 ? fmt::format("{}", bit.function) : fmt::format("{:#x}", bit.function);
    if (bit.index) leaf += fmt::format(".{}", *bit.index);
    return fmt::format("{}.{}:{}", leaf, kRegisterNames[static_cast<size_t>(bit.reg)], bit.bit);
}

std::optional<uint32_t> parse_number(std::string_view text) {
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        text.remove_prefix(2);
        base = 16;
    }
    uint32_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

[[noreturn]] void reject(std::string_view item, std::string_view why) {
    throw_bad_input(
        "--cpuid: '{}' {}; write -NAME to hide a named feature ({}) or LEAF[.SUBLEAF].REG:BIT=0, "
        "e.g. 1.ecx:13=0",
        item, why, cpuid_feature_names());
}

// "1.ecx:13=0", "7.0.ebx:5=0", "0x80000001.edx:27=0".
CpuidBit parse_raw_bit(std::string_view item) {
    size_t equals = item.find('=');
    if (equals == std::string_view::npos) reject(item, "is neither -NAME nor a raw LEAF.REG:BIT=0");
    std::string_view value = item.substr(equals + 1);
    if (value == "1") reject(item, "sets a bit: glassvm only hides CPUID bits KVM offers");
    if (value != "0") reject(item, "must end in =0");
    std::string_view location = item.substr(0, equals);
    size_t colon = location.find(':');
    size_t register_dot = location.rfind('.', colon);
    if (colon == std::string_view::npos || register_dot == std::string_view::npos)
        reject(item, "is not LEAF[.SUBLEAF].REG:BIT=0");
    std::string_view leaf = location.substr(0, register_dot);
    std::string_view reg = location.substr(register_dot + 1, colon - register_dot - 1);
    auto bit = parse_number(location.substr(colon + 1));
    auto register_at = std::find(kRegisterNames.begin(), kRegisterNames.end(), reg);
    if (register_at == kRegisterNames.end())
        reject(item, fmt::format("names register '{}' (eax, ebx, ecx or edx)", reg));
    if (!bit || *bit > 31) reject(item, "names a bit outside 0–31");
    size_t subleaf_dot = leaf.find('.');
    auto function = parse_number(leaf.substr(0, subleaf_dot));
    std::optional<uint32_t> index;
    if (subleaf_dot != std::string_view::npos) {
        index = parse_number(leaf.substr(subleaf_dot + 1));
        if (!index) reject(item, "has a sub-leaf that is not a number");
    }
    if (!function) reject(item, "has a leaf that is not a number");
    return {*function, index, static_cast<CpuidRegister>(register_at - kRegisterNames.begin()),
            static_cast<uint8_t>(*bit)};
}

void add_item(CpuidEdits& edits, std::string_view item) {
    if (item.starts_with('+')) reject(item, "asks to add a feature: glassvm only hides CPUID bits KVM offers");
    if (item.starts_with('-')) {
        std::string_view name = item.substr(1);
        auto feature = std::find_if(kFeatures.begin(), kFeatures.end(), [&](const auto& f) { return f.name == name; });
        if (feature == kFeatures.end()) reject(item, "is not a feature glassvm knows by name");
        edits.hidden_bits.push_back(feature->bit);
        if (feature->hidden_leaf) edits.hidden_leaves.push_back(*feature->hidden_leaf);
    } else {
        edits.hidden_bits.push_back(parse_raw_bit(item));
    }
    edits.names.emplace_back(item);
}

uint32_t& register_of(kvm_cpuid_entry2& entry, CpuidRegister reg) {
    switch (reg) {
        case Eax:
            return entry.eax;
        case Ebx:
            return entry.ebx;
        case Ecx:
            return entry.ecx;
        case Edx:
            return entry.edx;
    }
    return entry.eax;
}

}  // namespace

CpuidEdits parse_cpuid_edits(std::string_view text) {
    CpuidEdits edits;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        if (item.empty()) reject(item, "is empty (two commas in a row?)");
        add_item(edits, item);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    return edits;
}

std::string cpuid_feature_names() {
    std::string names;
    for (const auto& feature : kFeatures) {
        if (!names.empty()) names += ", ";
        names += fmt::format("{} ({}{})", feature.name, describe(feature.bit),
                             feature.hidden_leaf ? fmt::format(" and leaf {:#x}", *feature.hidden_leaf) : "");
    }
    return names;
}

std::vector<kvm_cpuid_entry2> apply_cpuid_edits(std::vector<kvm_cpuid_entry2> entries, const CpuidEdits& edits) {
    std::erase_if(entries, [&](const kvm_cpuid_entry2& entry) {
        return std::find(edits.hidden_leaves.begin(), edits.hidden_leaves.end(), entry.function) !=
               edits.hidden_leaves.end();
    });
    for (auto& entry : entries) {
        for (const CpuidBit& bit : edits.hidden_bits) {
            if (entry.function != bit.function || (bit.index && entry.index != *bit.index)) continue;
            register_of(entry, bit.reg) &= ~(1u << bit.bit);
        }
    }
    return entries;
}

}  // namespace glassvm::x86
