// Unit tests for --cpuid (hiding feature bits) and the hypervisor timing leaf.
#include <catch2/catch.hpp>

#include <algorithm>

#include "error_matchers.hpp"
#include "vmm/x86/cpuid.hpp"

using namespace glassvm;
using namespace glassvm::x86;
using glassvm::test::IsBadInput;

namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t value) {
    kvm_cpuid_entry2 entry{};
    entry.function = function;
    entry.index = index;
    entry.eax = entry.ebx = entry.ecx = entry.edx = value;
    return entry;
}

std::vector<kvm_cpuid_entry2> sample() {
    return {leaf(0, 0, 0x16),  leaf(1, 0, 0xffffffff), leaf(7, 0, 0xffffffff),           leaf(7, 1, 0xffffffff),
            leaf(0xD, 0, 0x7), leaf(0xD, 1, 0xf),      leaf(0x4000'0000, 0, 0x4000'0001)};
}

const kvm_cpuid_entry2& find(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t index = 0) {
    auto at = std::find_if(entries.begin(), entries.end(),
                           [&](const auto& e) { return e.function == function && e.index == index; });
    REQUIRE(at != entries.end());
    return *at;
}

bool has(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.function == function; });
}

}  // namespace

TEST_CASE("cpuid edits: -cx16 clears CPUID.1:ECX[13] and nothing else", "[cpuid]") {
    auto entries = apply_cpuid_edits(sample(), parse_cpuid_edits("-cx16"));
    CHECK(find(entries, 1).ecx == ~(1u << 13));
    CHECK(find(entries, 1).edx == 0xffffffff);
    CHECK(find(entries, 7).ebx == 0xffffffff);
    CHECK(has(entries, 0xD));
}

TEST_CASE("cpuid edits: -xsave clears the bit and removes leaf 0xD", "[cpuid]") {
    auto entries = apply_cpuid_edits(sample(), parse_cpuid_edits("-cx16,-xsave"));
    CHECK(find(entries, 1).ecx == ~((1u << 13) | (1u << 26)));
    CHECK_FALSE(has(entries, 0xD));
    CHECK(has(entries, 7));
}

TEST_CASE("cpuid edits: raw bits, with and without a sub-leaf, decimal or hex", "[cpuid]") {
    auto edits = parse_cpuid_edits("1.ecx:13=0,7.1.eax:4=0,0x80000001.edx:27=0");
    REQUIRE(edits.hidden_bits.size() == 3);
    CHECK(edits.hidden_bits[0] == CpuidBit{1, std::nullopt, CpuidRegister::Ecx, 13});
    CHECK(edits.hidden_bits[1] == CpuidBit{7, 1, CpuidRegister::Eax, 4});
    CHECK(edits.hidden_bits[2] == CpuidBit{0x8000'0001, std::nullopt, CpuidRegister::Edx, 27});
    auto entries = apply_cpuid_edits(sample(), edits);
    CHECK(find(entries, 7, 1).eax == ~(1u << 4));
    CHECK(find(entries, 7, 0).eax == 0xffffffff);  // the other sub-leaf is untouched
    CHECK(parse_cpuid_edits("-avx2").hidden_bits.front() == CpuidBit{7, 0, CpuidRegister::Ebx, 5});
}

TEST_CASE("cpuid edits: an empty option changes nothing", "[cpuid]") {
    CHECK(parse_cpuid_edits("").empty());
    auto entries = apply_cpuid_edits(sample(), parse_cpuid_edits(""));
    CHECK(entries.size() == sample().size());
}

TEST_CASE("cpuid edits: malformed items are refused saying why", "[cpuid]") {
    auto refused = [](const std::string& text, const std::string& why) {
        INFO(text);
        CHECK_THROWS_MATCHES(parse_cpuid_edits(text), Error, IsBadInput(why));
    };
    refused("-warp", "'-warp' is not a feature glassvm knows by name");
    refused("+cx16", "asks to add a feature");
    refused("1.ecx:13=1", "sets a bit: glassvm only hides");
    refused("1.ecx:13=2", "must end in =0");
    refused("1.exx:13=0", "names register 'exx'");
    refused("1.ecx:32=0", "names a bit outside 0–31");
    refused("one.ecx:3=0", "has a leaf that is not a number");
    refused("7.x.ebx:3=0", "has a sub-leaf that is not a number");
    refused("cx16", "is neither -NAME nor a raw");
    refused("-cx16,,-xsave", "is empty");
    refused("1ecx:13=0", "is not LEAF[.SUBLEAF].REG:BIT=0");
    CHECK_THROWS_MATCHES(parse_cpuid_edits("-warp"), Error, IsBadInput("cx16 (1.ecx:13)"));  // the list of names
}

TEST_CASE("cpuid: the timing leaf 0x40000010 carries the TSC and APIC bus kHz", "[cpuid]") {
    auto entries = with_timing_leaf(sample(), 2'100'000);
    CHECK(find(entries, kHypervisorLeaf).eax == kTimingLeaf);
    CHECK(find(entries, kTimingLeaf).eax == 2'100'000);
    CHECK(find(entries, kTimingLeaf).ebx == 1'000'000);
    CHECK(with_timing_leaf(entries, 2'100'000).size() == entries.size());  // not added twice
}

TEST_CASE("cpuid: no hypervisor leaf or no TSC frequency, no timing leaf", "[cpuid]") {
    auto without_hypervisor = sample();
    without_hypervisor.pop_back();
    CHECK_FALSE(has(with_timing_leaf(without_hypervisor, 2'100'000), kTimingLeaf));
    CHECK_FALSE(has(with_timing_leaf(sample(), 0), kTimingLeaf));
}
