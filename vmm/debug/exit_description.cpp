// Formatting exits for the exit stepper (registers: x86/registers.hpp).
#include "vmm/debug/exit_description.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <utility>
#include <vector>

#include "vmm/debug/exit_format.hpp"

namespace glassvm {

namespace {

std::string device_name(const IoBus& bus, AddressSpace space, uint64_t address) {
    const IoDevice* device = bus.find(space, address);
    return device ? std::string(device->name()) : std::string("(unmapped)");
}

// A read before it is handled has no data yet: the device supplies it when the exit is handled.
std::string describe_read(const VmExit& exit) {
    if (auto* io = std::get_if<PortIoExit>(&exit)) {
        std::string text = fmt::format("IO in port={:#x} size={}", io->port, io->size);
        return io->count > 1 ? text + fmt::format(" count={}", io->count) : text;
    }
    const auto& mmio = std::get<MmioExit>(exit);
    return fmt::format("MMIO read gpa={:#x} size={}", mmio.address, mmio.data.size());
}

}  // namespace

std::string describe_exit_details(const VmExit& exit, const IoBus& bus) {
    auto* io = std::get_if<PortIoExit>(&exit);
    auto* mmio = std::get_if<MmioExit>(&exit);
    if (!io && !mmio) return describe_exit(exit);
    bool is_read = io ? !io->is_write : !mmio->is_write;
    std::string device =
        io ? device_name(bus, AddressSpace::Port, io->port) : device_name(bus, AddressSpace::Mmio, mmio->address);
    return fmt::format("{} -> {}{}", is_read ? describe_read(exit) : describe_exit(exit), device,
                       is_read ? " (data when handled)" : "");
}

std::string describe_exit_event(const ExitEvent& event, const IoBus& bus) {
    using std::chrono::duration;
    return fmt::format("exit #{} on vCPU {} at {:.3f} ms ({:.0f} µs in the guest): {}", event.sequence, event.vcpu,
                       duration<double, std::milli>(event.since_boot).count(),
                       duration<double, std::micro>(event.in_guest).count(), describe_exit_details(event.exit, bus));
}

}  // namespace glassvm
