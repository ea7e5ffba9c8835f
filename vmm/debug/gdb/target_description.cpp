// target.xml for an x86-64 guest, built from the register table (gdb manual, "Target
// Description Format": <architecture>, <osabi>, <feature>, <flags>, <reg>).
#include "vmm/debug/gdb/target_description.hpp"

#include <fmt/format.h>

#include "vmm/debug/gdb/packet.hpp"
#include "vmm/debug/gdb/registers.hpp"

namespace glassvm::gdb {

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
