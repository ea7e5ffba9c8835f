// libFuzzer target: the GDB stub's input side (vmm/debug/gdb/). The input is the byte stream
// gdb would send. It is decoded twice — whole, and split into chunks at points the input
// itself chooses — and both must give the same events (a TCP stream splits anywhere). Every
// decoded packet then goes through the request parsing the stub does (packet.hpp: requests, hex,
// registers, target.xml, unescaping) and, where the stub would touch guest memory, through
// GuestAccess and the breakpoint table on a small guest RAM. Serving a packet itself needs a
// vCPU (gdb_packets.cpp), so only its parsing and memory side is driven here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/debug/gdb/guest_access.hpp"
#include "vmm/debug/gdb/packet.hpp"
#include "vmm/debug/gdb/registers.hpp"

namespace gdb = glassvm::gdb;

namespace {

constexpr uint64_t kGuestRamSize = 64 << 10;
constexpr uint64_t kMaxReadLength = gdb::kMaxPacketSize / 2 - 16;  // as gdb_packets.cpp caps `m`

// A guest page table stand-in: the low 64 KiB are mapped twice, at 0 and (swapped page
// order) at 0xffff800000000000; everything else is unmapped.
std::optional<uint64_t> translate(uint64_t address) {
    constexpr uint64_t kHigh = 0xffff'8000'0000'0000;
    if (address < kGuestRamSize) return address;
    if (address >= kHigh && address - kHigh < kGuestRamSize) return (address - kHigh) ^ 0x1000;
    return std::nullopt;
}

std::vector<gdb::DecodedEvent> decode_in_chunks(std::string_view wire) {
    gdb::PacketDecoder decoder;
    std::vector<gdb::DecodedEvent> events;
    for (size_t at = 0; at < wire.size();) {
        size_t length = static_cast<uint8_t>(wire[at]) % 7 + 1;  // the input picks its own splits
        for (auto& event : decoder.feed(wire.substr(at, length))) events.push_back(std::move(event));
        at += length;
    }
    return events;
}

// Escaping and framing any packet's data and decoding it again gives the data back.
void check_round_trip(const std::string& data) {
    std::string escaped = gdb::escape_binary(data);
    if (escaped.size() > gdb::kMaxPacketSize) return;
    auto events = gdb::PacketDecoder().feed(gdb::frame_packet(escaped));
    if (events.size() != 1 || events[0].kind != gdb::DecodedEvent::Kind::Packet) std::abort();
    auto unescaped = gdb::unescape_binary(events[0].data);
    if (!unescaped || std::string(unescaped->begin(), unescaped->end()) != data) std::abort();
}

void serve_memory(std::string_view packet, const gdb::GuestAccess& memory, gdb::Breakpoints& breakpoints) {
    if (packet[0] == 'm') {
        if (auto range = gdb::parse_address_length(packet.substr(1)))
            (void)gdb::to_hex(memory.read(range->address, std::min(range->length, kMaxReadLength)));
    } else if (packet[0] == 'M' || packet[0] == 'X') {
        if (auto request = gdb::parse_memory_write(packet)) (void)memory.write(request->address, request->data);
    } else if (packet[0] == 'Z' || packet[0] == 'z') {
        auto request = gdb::parse_breakpoint(packet);
        if (!request) return;
        bool insert = request->change == gdb::BreakpointRequest::Change::Insert;
        if (request->type == '0')
            insert ? (void)breakpoints.insert_software(memory, request->address)
                   : (void)breakpoints.remove_software(memory, request->address);
        if (request->type == '1')
            insert ? (void)breakpoints.insert_hardware(request->address, gdb::kMaxHardwareBreakpoints)
                   : (void)breakpoints.remove_hardware(request->address);
        (void)breakpoints.guest_debug(false);
    }
}

void serve_registers(std::string_view packet, gdb::CpuState& cpu) {
    if (packet[0] == 'G') {
        (void)gdb::decode_all_registers(packet.substr(1), cpu);
    } else if (packet[0] == 'P') {
        if (auto assignment = gdb::parse_register_assignment(packet))
            (void)gdb::decode_register(assignment->value, assignment->number, cpu);
    } else if (packet[0] == 'p') {
        if (auto number = gdb::parse_hex_number(packet.substr(1))) (void)gdb::encode_register(cpu, *number);
    } else if (packet[0] == 'g') {
        if (gdb::encode_all_registers(cpu).size() != gdb::encode_all_registers(gdb::CpuState{}).size()) std::abort();
    }
}

void serve_query(std::string_view packet) {
    if (auto request = gdb::parse_features_read(packet))
        (void)gdb::read_target_description(request->annex, request->offset, request->length);
    if (packet.starts_with("qRcmd,")) (void)gdb::from_hex(packet.substr(6));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const glassvm::GuestMemory ram = glassvm::GuestMemory::allocate(kGuestRamSize);
    std::string_view wire(reinterpret_cast<const char*>(data), size);

    auto events = gdb::PacketDecoder().feed(wire);
    if (decode_in_chunks(wire) != events) std::abort();

    gdb::GuestAccess memory(ram, translate);
    gdb::Breakpoints breakpoints;
    gdb::CpuState cpu;
    for (const auto& event : events) {
        if (event.kind != gdb::DecodedEvent::Kind::Packet) continue;
        check_round_trip(event.data);
        if (event.data.empty()) continue;
        serve_memory(event.data, memory, breakpoints);
        serve_registers(event.data, cpu);
        serve_query(event.data);
    }
    breakpoints.clear(memory);
    (void)gdb::expand_run_length(wire);
    (void)gdb::unescape_binary(wire);
    return 0;
}
