// What an exception means: from ring 3 it kills the task as a signal would; from ring 0 it is a
// kernel bug, reported with every register before the VM stops. Vectors 32 and up are interrupts
// (interrupt.cpp). (The #PF that is this host's broken SYSCALL never gets here: trap_entry.S
// handles it.)
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

// SDM Vol. 3A, "Exception and Interrupt Reference" (Table "Protected-Mode Exceptions and
// Interrupts").
constexpr const char* kExceptionNames[32] = {
    "divide error (#DE)",
    "debug (#DB)",
    "NMI",
    "breakpoint (#BP)",
    "overflow (#OF)",
    "bound range exceeded (#BR)",
    "invalid opcode (#UD)",
    "device not available (#NM)",
    "double fault (#DF)",
    "coprocessor segment overrun",
    "invalid TSS (#TS)",
    "segment not present (#NP)",
    "stack fault (#SS)",
    "general protection (#GP)",
    "page fault (#PF)",
    "reserved vector 15",
    "x87 FPU error (#MF)",
    "alignment check (#AC)",
    "machine check (#MC)",
    "SIMD floating-point (#XM)",
    "virtualization (#VE)",
    "control protection (#CP)",
    "reserved vector 22",
    "reserved vector 23",
    "reserved vector 24",
    "reserved vector 25",
    "reserved vector 26",
    "reserved vector 27",
    "hypervisor injection (#HV)",
    "VMM communication (#VC)",
    "security (#SX)",
    "reserved vector 31",
};

constexpr uint64_t kDivideError = 0, kInvalidOpcode = 6, kGeneralProtection = 13, kPageFault = 14, kFpuError = 16,
                   kSimdError = 19;

// The signal Linux would send for the exception (arch/x86/kernel/traps.c): arithmetic faults
// are SIGFPE, #UD is SIGILL, and everything else (#PF, #GP, #SS, #AC, ...) ends as SIGSEGV.
uint8_t signal_for(uint64_t vector) {
    switch (vector) {
        case kDivideError:
        case kFpuError:
        case kSimdError:
            return abi::kSignalFpe;
        case kInvalidOpcode:
            return abi::kSignalIll;
        default:
            return abi::kSignalSegv;
    }
}

const char* signal_name(uint8_t signal) {
    switch (signal) {
        case abi::kSignalFpe:
            return "SIGFPE";
        case abi::kSignalIll:
            return "SIGILL";
        default:
            return "SIGSEGV";
    }
}

// The short name ("page fault") for the one-line report: the table entry up to " (".
void print_short_name(uint64_t vector) {
    const char* name = kExceptionNames[vector];
    size_t length = 0;
    while (name[length] != '\0' && name[length] != '(') ++length;
    print(name, length > 0 && name[length] == '(' ? length - 1 : length);
}

[[noreturn]] void kill_task(const TrapFrame& frame, uint64_t fault_address) {
    uint8_t signal = signal_for(frame.vector);
    print("glassvm-guest: pid ");
    print_dec(current_task()->id);
    print(" killed: ");
    print_short_name(frame.vector);
    print(" at rip=");
    print_hex(frame.rip);
    if (frame.vector == kPageFault) {
        print(" addr=");
        print_hex(fault_address);
    } else if (frame.vector == kGeneralProtection && frame.error_code != 0) {
        print(" error=");
        print_hex(frame.error_code);
    }
    print(" (");
    print(signal_name(signal));
    print(")\n");
    task_exit(uint8_t(abi::kStatusSignalBase + signal));
}

void print_register(const char* name, uint64_t value) {
    print(" ");
    print(name);
    print("=");
    print_hex(value);
}

[[noreturn]] void panic(const TrapFrame& frame, uint64_t fault_address) {
    print("glassvm-guest: kernel panic: ");
    print(kExceptionNames[frame.vector]);
    print(", vector ");
    print_dec(frame.vector);
    print_register("error", frame.error_code);
    print_register("cr2", fault_address);
    print("\n ");
    print_register("rip", frame.rip);
    print_register("cs", frame.cs);
    print_register("rflags", frame.rflags);
    print_register("rsp", frame.rsp);
    print_register("ss", frame.ss);
    const struct {
        const char* name;
        uint64_t value;
    } registers[] = {
        {"rax", frame.rax}, {"rbx", frame.rbx}, {"rcx", frame.rcx}, {"rdx", frame.rdx}, {"rsi", frame.rsi},
        {"rdi", frame.rdi}, {"rbp", frame.rbp}, {"r8", frame.r8},   {"r9", frame.r9},   {"r10", frame.r10},
        {"r11", frame.r11}, {"r12", frame.r12}, {"r13", frame.r13}, {"r14", frame.r14}, {"r15", frame.r15},
    };
    for (size_t i = 0; i < sizeof registers / sizeof registers[0]; ++i) {
        if (i % 4 == 0) print("\n ");
        print_register(registers[i].name, registers[i].value);
    }
    print("\n");
    exit_vm(abi::kStatusKernelPanic);
}

}  // namespace

extern "C" void trap_dispatch(TrapFrame& frame) {
    if (frame.vector >= 32) return interrupt_dispatch(frame);
    uint64_t fault_address = frame.vector == kPageFault ? x86::read_cr2() : 0;
    if ((frame.cs & 3) == 3) kill_task(frame, fault_address);
    panic(frame, fault_address);
}

}  // namespace glassvm::guest
