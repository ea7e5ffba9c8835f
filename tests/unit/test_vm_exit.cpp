// Unit tests for exit decoding: fabricated kvm_run contents become the right VmExit, with data
// spans pointing into the kvm_run mapping, and exits have their KVM_EXIT_* names.
#include <catch2/catch.hpp>

#include <linux/kvm.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>
#include <variant>

#include "vmm/kvm/kvm_vcpu.hpp"

using glassvm::decode_exit;
using glassvm::exit_name;
using glassvm::exit_reason_name;
using glassvm::known_exit_names;
using glassvm::VmExit;

namespace {

// The vCPU's kvm_run mapping as KVM lays it out: the kvm_run structure at the start, and on x86
// the port I/O data one page in (KVM_PIO_PAGE_OFFSET), so three pages as KVM_GET_VCPU_MMAP_SIZE
// usually reports.
constexpr size_t kPageSize = 4096;
constexpr uint64_t kPioDataOffset = kPageSize;

struct RunMapping {
    alignas(kPageSize) std::array<uint8_t, 3 * kPageSize> bytes{};
    kvm_run* run = new (bytes.data()) kvm_run{};
};

template <typename T>
const T& require_exit(const VmExit& exit) {
    REQUIRE(std::holds_alternative<T>(exit));
    return std::get<T>(exit);
}

}  // namespace

TEST_CASE("vm exit: OUT decodes port, size, direction and the data bytes", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_OUT;
    run.io.size = 1;
    run.io.port = 0x3f8;
    run.io.count = 1;
    run.io.data_offset = kPioDataOffset;
    mapping.bytes[kPioDataOffset] = 'k';

    VmExit exit = decode_exit(run);
    const auto& io = require_exit<glassvm::PortIoExit>(exit);
    CHECK(io.port == 0x3f8);
    CHECK(io.size == 1);
    CHECK(io.is_write);
    CHECK(io.count == 1);
    CHECK(io.data.data() == mapping.bytes.data() + kPioDataOffset);
    REQUIRE(io.data.size() == 1);
    CHECK(io.data[0] == 'k');
    CHECK(exit_name(exit) == "IO");
}

TEST_CASE("vm exit: IN gives a span the handler fills in place", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_IN;
    run.io.size = 4;
    run.io.port = 0xcfc;
    run.io.count = 1;
    run.io.data_offset = kPioDataOffset;

    const auto io = require_exit<glassvm::PortIoExit>(decode_exit(run));
    CHECK_FALSE(io.is_write);
    CHECK(io.port == 0xcfc);
    REQUIRE(io.data.size() == 4);
    io.data[0] = 0x11;
    io.data[3] = 0x44;
    // The bytes KVM will hand to the guest's IN are the ones written through the span.
    CHECK(mapping.bytes[kPioDataOffset] == 0x11);
    CHECK(mapping.bytes[kPioDataOffset + 3] == 0x44);
}

TEST_CASE("vm exit: REP string I/O covers size * count bytes", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_OUT;
    run.io.size = 2;
    run.io.port = 0x1f0;
    run.io.count = 3;
    run.io.data_offset = kPioDataOffset;

    const auto io = require_exit<glassvm::PortIoExit>(decode_exit(run));
    CHECK(io.count == 3);
    CHECK(io.size == 2);
    CHECK(io.data.size() == 6);
    CHECK(io.data.data() == mapping.bytes.data() + kPioDataOffset);
}

TEST_CASE("vm exit: the I/O data is found wherever data_offset says", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_OUT;
    run.io.size = 1;
    run.io.count = 1;
    run.io.data_offset = 2 * kPageSize + 0x10;
    mapping.bytes[2 * kPageSize + 0x10] = 0x5a;

    const auto io = require_exit<glassvm::PortIoExit>(decode_exit(run));
    CHECK(io.data.data() == mapping.bytes.data() + 2 * kPageSize + 0x10);
    CHECK(io.data[0] == 0x5a);
}

TEST_CASE("vm exit: MMIO write and read decode address, length and data", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_MMIO;
    run.mmio.phys_addr = 0xD000'0010;
    run.mmio.len = 4;
    run.mmio.is_write = 1;
    for (uint8_t i = 0; i < 8; ++i) run.mmio.data[i] = static_cast<uint8_t>(0xA0 + i);

    VmExit write = decode_exit(run);
    const auto& store = require_exit<glassvm::MmioExit>(write);
    CHECK(store.address == 0xD000'0010);
    CHECK(store.is_write);
    CHECK(store.data.data() == run.mmio.data);
    REQUIRE(store.data.size() == 4);
    CHECK(store.data[3] == 0xA3);
    CHECK(exit_name(write) == "MMIO");

    run.mmio.is_write = 0;
    run.mmio.len = 8;
    run.mmio.phys_addr = 0xFEE0'0030;
    const auto load = require_exit<glassvm::MmioExit>(decode_exit(run));
    CHECK_FALSE(load.is_write);
    CHECK(load.address == 0xFEE0'0030);
    CHECK(load.data.data() == run.mmio.data);
    CHECK(load.data.size() == 8);
}

TEST_CASE("vm exit: an MMIO length beyond the 8-byte data field is capped", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_MMIO;
    run.mmio.len = 4096;
    CHECK(require_exit<glassvm::MmioExit>(decode_exit(run)).data.size() == sizeof run.mmio.data);
}

TEST_CASE("vm exit: HLT and SHUTDOWN", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_HLT;
    VmExit halt = decode_exit(run);
    CHECK(std::holds_alternative<glassvm::HaltExit>(halt));
    CHECK(exit_name(halt) == "HLT");

    run.exit_reason = KVM_EXIT_SHUTDOWN;
    VmExit shutdown = decode_exit(run);
    CHECK(std::holds_alternative<glassvm::ShutdownExit>(shutdown));
    CHECK(exit_name(shutdown) == "SHUTDOWN");
}

TEST_CASE("vm exit: FAIL_ENTRY carries the hardware reason", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_FAIL_ENTRY;
    run.fail_entry.hardware_entry_failure_reason = 0x8000'0021;  // VMX: invalid guest state
    VmExit exit = decode_exit(run);
    CHECK(require_exit<glassvm::FailEntryExit>(exit).hardware_reason == 0x8000'0021);
    CHECK(exit_name(exit) == "FAIL_ENTRY");
}

TEST_CASE("vm exit: INTERNAL_ERROR copies suberror and its data", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
    run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
    run.internal.ndata = 3;
    for (uint64_t i = 0; i < 16; ++i) run.internal.data[i] = 0x1000 + i;

    VmExit exit = decode_exit(run);
    const auto& error = require_exit<glassvm::InternalErrorExit>(exit);
    CHECK(error.suberror == KVM_INTERNAL_ERROR_EMULATION);
    CHECK(error.data_count == 3);
    CHECK(error.data[0] == 0x1000);
    CHECK(error.data[2] == 0x1002);
    CHECK(error.data[3] == 0);  // only ndata words are copied
    CHECK(error.data[15] == 0);
    CHECK(exit_name(exit) == "INTERNAL_ERROR");
}

TEST_CASE("vm exit: INTERNAL_ERROR caps ndata at the 16 words kvm_run holds", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    static_assert(sizeof run.internal.data / sizeof run.internal.data[0] == 16);
    run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
    run.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
    run.internal.ndata = 1000;
    for (uint64_t i = 0; i < 16; ++i) run.internal.data[i] = 0xF0 + i;

    const auto error = require_exit<glassvm::InternalErrorExit>(decode_exit(run));
    CHECK(error.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV);
    CHECK(error.data_count == 16);
    CHECK(error.data[0] == 0xF0);
    CHECK(error.data[15] == 0xFF);
}

TEST_CASE("vm exit: a reason glassvm does not handle is UnknownExit", "[vm_exit]") {
    RunMapping mapping;
    kvm_run& run = *mapping.run;
    run.exit_reason = KVM_EXIT_HYPERCALL;
    VmExit exit = decode_exit(run);
    CHECK(require_exit<glassvm::UnknownExit>(exit).reason == KVM_EXIT_HYPERCALL);
    CHECK(exit_name(exit) == "HYPERCALL");

    run.exit_reason = 0xDEAD;
    VmExit strange = decode_exit(run);
    CHECK(require_exit<glassvm::UnknownExit>(strange).reason == 0xDEAD);
    CHECK(exit_name(strange) == "?");
}

TEST_CASE("vm exit: exit_reason_name names raw KVM_EXIT_* values", "[vm_exit]") {
    CHECK(exit_reason_name(KVM_EXIT_UNKNOWN) == "UNKNOWN");
    CHECK(exit_reason_name(KVM_EXIT_IO) == "IO");
    CHECK(exit_reason_name(KVM_EXIT_HLT) == "HLT");
    CHECK(exit_reason_name(KVM_EXIT_MMIO) == "MMIO");
    CHECK(exit_reason_name(KVM_EXIT_SHUTDOWN) == "SHUTDOWN");
    CHECK(exit_reason_name(KVM_EXIT_FAIL_ENTRY) == "FAIL_ENTRY");
    CHECK(exit_reason_name(KVM_EXIT_INTR) == "INTR");
    CHECK(exit_reason_name(KVM_EXIT_INTERNAL_ERROR) == "INTERNAL_ERROR");
    CHECK(exit_reason_name(KVM_EXIT_SYSTEM_EVENT) == "SYSTEM_EVENT");
    CHECK(exit_reason_name(KVM_EXIT_X86_RDMSR) == "X86_RDMSR");
    CHECK(exit_reason_name(0xFFFF'FFFF) == "?");
}

TEST_CASE("vm exit: every KVM_EXIT_* name decoding can give is a known exit name", "[vm_exit]") {
    // The stepper's `continue REASON` accepts known_exit_names(); KVM's names must all be there.
    for (uint32_t reason = 0; reason < 64; ++reason) {
        std::string_view name = exit_reason_name(reason);
        if (name == "?") continue;
        INFO(name);
        CHECK(std::find(known_exit_names().begin(), known_exit_names().end(), name) != known_exit_names().end());
    }
    CHECK(known_exit_names().size() == 19);
}
