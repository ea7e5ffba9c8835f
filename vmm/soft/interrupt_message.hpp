// One interrupt on its way to local APICs, as the APIC bus (or, since the Pentium 4, the system
// bus) carries it: from an I/O APIC's redirection table entry (82093AA datasheet §3.2.4) or from a
// local APIC's interrupt command register (Intel SDM Vol. 3A §11.6.1). The machine hands it to
// every local APIC whose is_destination() says yes.
#pragma once

#include <cstdint>

namespace glassvm::soft {

// The delivery mode field both sources share (ICR bits 10:8, redirection entry bits 10:8).
enum class DeliveryMode : uint8_t {
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    StartUp = 6,  // SIPI: only from an ICR
    ExtInt = 7,   // the 8259's vector: only from the I/O APIC
};

// ICR bits 19:18 (§11.6.1): who gets an IPI without naming it in the destination field.
enum class Shorthand : uint8_t {
    None = 0,
    Self = 1,
    AllIncludingSelf = 2,
    AllExcludingSelf = 3,
};

struct InterruptMessage {
    uint8_t vector = 0;
    DeliveryMode delivery = DeliveryMode::Fixed;
    bool logical_destination = false;  // destination mode: false = physical APIC id
    uint8_t destination = 0;           // APIC id (physical) or logical mask (flat model)
    bool level_triggered = false;
    bool assert_level = true;  // ICR level bit (an INIT level de-assert has it 0)
    Shorthand shorthand = Shorthand::None;
    uint32_t source_apic_id = 0;  // who sent it (for Self/AllExcludingSelf)
};

}  // namespace glassvm::soft
