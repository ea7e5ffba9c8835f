// KVM VM ioctls for the in-kernel interrupt controllers, the PIT and interrupt lines.
#include "vmm/kvm/irqchip.hpp"

#include <sys/ioctl.h>

namespace glassvm {

void create_interrupt_controllers(const KvmSystem& kvm, const KvmVm& vm) {
    kvm.require_extension(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controllers)");
    check_syscall("KVM_CREATE_IRQCHIP", ::ioctl(vm.fd(), KVM_CREATE_IRQCHIP, 0));
}

void create_pit(const KvmSystem& kvm, const KvmVm& vm) {
    kvm.require_extension(KVM_CAP_PIT2, "KVM_CAP_PIT2 (in-kernel 8254 timer)");
    kvm_pit_config config{};
    // Port 0x61's speaker bits are kept in KVM; no sound goes anywhere.
    config.flags = KVM_PIT_SPEAKER_DUMMY;
    check_syscall("KVM_CREATE_PIT2", ::ioctl(vm.fd(), KVM_CREATE_PIT2, &config));
}

void set_irq_line(const KvmVm& vm, uint32_t irq, LineLevel level) {
    kvm_irq_level line{};
    line.irq = irq;
    line.level = level == LineLevel::High ? 1 : 0;
    check_syscall("KVM_IRQ_LINE", ::ioctl(vm.fd(), KVM_IRQ_LINE, &line));
}

}  // namespace glassvm
