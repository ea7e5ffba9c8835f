// The I/O APIC (Intel 82093AA datasheet) that carries device interrupts to the local APICs, and
// the two 8259A PICs a PC also has, which are silenced: the kernel takes interrupts only through
// the APICs. The I/O APIC's registers sit behind an index/data pair in memory at 0xfec00000.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint64_t kBase = 0xfec0'0000;
constexpr uint64_t kRegisterSelect = kBase + 0x00;  // IOREGSEL
constexpr uint64_t kWindow = kBase + 0x10;          // IOWIN
// Redirection table entry N is registers 0x10 + 2N (low half) and 0x11 + 2N (high half).
constexpr uint32_t kRedirectionTable = 0x10;

constexpr uint16_t kPic1Data = 0x21, kPic2Data = 0xa1;  // interrupt mask registers (OCW1)

void write(uint32_t index, uint32_t value) {
    x86::write_mmio32(kRegisterSelect, index);
    x86::write_mmio32(kWindow, value);
}

}  // namespace

// Masks every line of both PICs (8259A datasheet, OCW1). Their output reaches the CPU through
// LINT0, which lapic_init masks as well.
void pic_disable() {
    x86::out8(kPic1Data, 0xff);
    x86::out8(kPic2Data, 0xff);
}

// Routes ISA interrupt `irq` (I/O APIC pin `irq`, as KVM and QEMU wire ISA IRQs 1-15) to
// `vector` on the local APIC `apic_id`: fixed delivery, physical destination, active high,
// edge triggered (the ISA bus's conventions; 82093AA §3.2.4), unmasked.
void ioapic_route(uint8_t irq, uint8_t vector, uint32_t apic_id) {
    uint32_t entry = kRedirectionTable + 2u * irq;
    write(entry + 1, apic_id << 24);  // destination field, bits 63:56
    write(entry, vector);
}

}  // namespace glassvm::guest
