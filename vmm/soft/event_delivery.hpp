// Event delivery: what the CPU does, in hardware or microcode, when an exception or interrupt
// interrupts the guest (SDM vol. 3A ch. 6 "Interrupt and Exception Handling") and when ring 3
// makes a system call (SYSCALL, SDM vol. 2B). Under KVM the processor does all of this itself;
// the soft CPU's emulator does not (it reports the event's vector and stops), so glassvm does it
// here: find the gate in the IDT, check it, pick the stack (TSS RSP0 or IST), push the frame
// with the error code, and land in the handler at its privilege level — or raise the fault that
// doing so causes, and escalate to a double fault and a triple fault (§6.15, table 6-5).
//
// Pure logic over a snapshot of the registers and guest RAM, so it can be read and tested without
// an emulator; the soft vCPU (soft_vcpu.hpp) loads the landing into its engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/soft/page_walk.hpp"

namespace glassvm::soft {

// What an interrupted vCPU looked like: the registers delivery reads.
struct InterruptedState {
    uint64_t rip = 0;  // where the handler returns to (the faulting or the next instruction)
    uint64_t rsp = 0;
    uint64_t rflags = 0;
    uint16_t cs = 0;
    uint16_t ss = 0;
    uint64_t ss_base = 0;  // SS's base (real mode: selector × 16), for pushes outside long mode
    bool ss_32bit = true;  // SS's B bit outside long mode (a 16-bit stack wraps SP)
    int cpl = 0;
    bool long_mode = false;  // EFER.LMA
    bool protected_mode = false;  // CR0.PE
    PagingRegisters paging;
    uint64_t gdt_base = 0;
    uint32_t gdt_limit = 0;
    uint64_t idt_base = 0;
    uint32_t idt_limit = 0;
    uint64_t tr_base = 0;
    uint32_t tr_limit = 0;
};

// An event to deliver.
struct Event {
    uint8_t vector = 0;
    std::optional<uint32_t> error_code;  // pushed after RIP (exceptions 8, 10-14, 17, 21)
    bool software = false;  // INT n / INT3 / INTO: the gate's DPL must admit the CPL
    bool external = false;  // a hardware interrupt (EXT bit in error codes it causes)
};

// A fault found while delivering (or raised by an instruction), with CR2 for a page fault.
struct Fault {
    uint8_t vector = 0;
    std::optional<uint32_t> error_code;
    std::optional<uint64_t> cr2;
};

// Where the vCPU goes on: the handler, its stack and privilege level.
struct Landing {
    uint64_t rip = 0;
    uint64_t rsp = 0;
    uint64_t rflags = 0;
    uint16_t cs = 0;
    uint16_t ss = 0;
    int cpl = 0;
    bool loads_ss = false;  // a new stack segment (a privilege change)
    bool flat = false;      // CS and SS are SYSCALL/SYSRET's fixed flat descriptors, not the GDT's
};

// Something delivery cannot do on this CPU (a task gate, a 16-bit gate): an internal error.
struct Unsupported {
    std::string what;
};

using DeliveryResult = std::variant<Landing, Fault, Unsupported>;

// Delivers `event`: writes the frame into guest RAM and returns the landing, or the fault
// (nothing written that matters: the frame is below the stack pointer the guest keeps).
DeliveryResult deliver_event(const GuestMemory& memory, const InterruptedState& state, const Event& event);

// SYSCALL in 64-bit mode (landing.flat): RCX and R11 are set by the caller from the returned previous RIP and
// RFLAGS; CS/SS from STAR[47:32], RIP from LSTAR, RFLAGS masked by SFMASK (SDM vol. 2B).
Landing syscall_landing(const InterruptedState& state, uint64_t star, uint64_t lstar, uint64_t sfmask);

// §6.15 table 6-5: what a second fault during the delivery of a first becomes — a double fault
// (vector 8, error code 0), the second fault itself (delivered next), or nothing: a triple fault.
std::optional<Event> escalate(uint8_t first_vector, const Fault& second);

// Whether exception `vector` pushes an error code (§6.13).
bool has_error_code(uint8_t vector);

}  // namespace glassvm::soft
