// The fast paths: every optimisation of the plain exit path, in one place, each switchable.
//
// The plain path is what a reader meets first (docs/ARCHITECTURE.md): a guest's UART byte is a
// port-I/O exit, the exit loop hands it to the ExitHandler, the IoBus finds the Serial16550, and
// the UART writes the byte to the host fd; when the guest is done, glassvm closes the VM and
// waits for the kernel to free it. Each field below replaces one step of that with something
// cheaper and says where the saving is measured (docs/BENCHMARKS.md, "Where glassvm's start-up
// time and memory go"). All are on by default; `glassvm run --plain` turns them all off, and the
// guest's output and exit status are the same either way (tests/integration/test_plain_path.cpp).
//
// One more is fixed at build time and not switchable here: the hot functions are linked first
// (app/hot-functions.txt, lld's --symbol-ordering-file), which only decides layout.
#pragma once

namespace glassvm {

struct FastPaths {
    // The accelerator queues the guest's writes to the UART's THR in its coalesced-write ring
    // (KVM_REGISTER_COALESCED_MMIO; vmm/run/coalesced_writes.hpp) while a late byte cannot be
    // noticed, instead of exiting per byte. Saves an exit per byte: the bundled guest's run takes
    // 20 exits instead of 153 ("Serial output without exits"). Needs the accelerator's
    // CoalescedWriteQueue; runs with an exit observer never use it (they see every exit).
    bool coalesced_serial_output = true;

    // The bytes one replay of the ring transmits leave in one write(2) instead of one each
    // (vmm/devices/batched_output.hpp). Saves system calls: 130 writes → 11 per run ("One write
    // per burst of serial output"). Only acts on replays, so only with coalesced_serial_output.
    bool batched_serial_output = true;

    // After the guest's answer is out, another process holds the VM's descriptors and waits for
    // the kernel to free the VM (vmm/run/background_release.hpp), so glassvm exits at once.
    // Saves 15–30 ms of waiting per run on nested hosts ("KVM's teardown of the irqchip and PIT",
    // "The releaser shares glassvm's memory"). Applied by the program (app/run_command.cpp).
    bool background_release = true;

    // Every optimisation off: the plain path (`glassvm run --plain`).
    static FastPaths none() {
        return {.coalesced_serial_output = false, .batched_serial_output = false, .background_release = false};
    }
};

}  // namespace glassvm
