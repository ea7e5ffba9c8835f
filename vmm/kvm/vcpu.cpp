// vCPU ioctls. KVM_RUN is the hot path: it throws only on real failures.
#include "vmm/kvm/vcpu.hpp"

#include <sys/ioctl.h>

#include <cstring>

#include "vmm/kvm/cpuid_ioctls.hpp"

namespace glassvm {

Vcpu::Vcpu(int index, Fd fd, size_t run_area_size)
        : m_index(index),
          m_fd(std::move(fd)),
          m_run_area(Mapping::create("mmap kvm_run", run_area_size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd.get())) {}

kvm_regs Vcpu::regs() const {
    kvm_regs regs{};
    check_syscall("KVM_GET_REGS", ::ioctl(m_fd.get(), KVM_GET_REGS, &regs));
    return regs;
}

void Vcpu::set_regs(const kvm_regs& regs) { check_syscall("KVM_SET_REGS", ::ioctl(m_fd.get(), KVM_SET_REGS, &regs)); }

kvm_sregs Vcpu::sregs() const {
    kvm_sregs sregs{};
    check_syscall("KVM_GET_SREGS", ::ioctl(m_fd.get(), KVM_GET_SREGS, &sregs));
    return sregs;
}

void Vcpu::set_sregs(const kvm_sregs& sregs) {
    check_syscall("KVM_SET_SREGS", ::ioctl(m_fd.get(), KVM_SET_SREGS, &sregs));
}

void Vcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    std::vector<uint8_t> buffer(kvm_ioctl::kCpuidEntriesOffset + entries.size() * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_ioctl::CpuidHeader*>(buffer.data());
    cpuid->nent = static_cast<uint32_t>(entries.size());
    std::memcpy(buffer.data() + kvm_ioctl::kCpuidEntriesOffset, entries.data(),
                entries.size() * sizeof(kvm_cpuid_entry2));
    check_syscall("KVM_SET_CPUID2", ::ioctl(m_fd.get(), kvm_ioctl::kSetCpuid2, cpuid));
}

std::vector<kvm_cpuid_entry2> Vcpu::cpuid() const {
    constexpr uint32_t kMaxEntries = 256;  // KVM_MAX_CPUID_ENTRIES
    std::vector<uint8_t> buffer(kvm_ioctl::kCpuidEntriesOffset + kMaxEntries * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_ioctl::CpuidHeader*>(buffer.data());
    cpuid->nent = kMaxEntries;
    check_syscall("KVM_GET_CPUID2", ::ioctl(m_fd.get(), kvm_ioctl::kGetCpuid2, cpuid));
    std::vector<kvm_cpuid_entry2> entries(cpuid->nent);  // from the C layout: see cpuid_ioctls.hpp
    std::memcpy(entries.data(), buffer.data() + kvm_ioctl::kCpuidEntriesOffset,
                entries.size() * sizeof(kvm_cpuid_entry2));
    return entries;
}

uint32_t Vcpu::tsc_khz() const {
    int khz = ::ioctl(m_fd.get(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<uint32_t>(khz) : 0;
}

uint32_t Vcpu::mp_state() const {
    kvm_mp_state state{};
    check_syscall("KVM_GET_MP_STATE", ::ioctl(m_fd.get(), KVM_GET_MP_STATE, &state));
    return state.mp_state;
}

void Vcpu::set_guest_debug(const kvm_guest_debug& debug) {
    check_syscall("KVM_SET_GUEST_DEBUG", ::ioctl(m_fd.get(), KVM_SET_GUEST_DEBUG, &debug));
}

bool Vcpu::enable_register_sync(bool supported) {
    if (!supported) return false;
    run_area().kvm_valid_regs = KVM_SYNC_X86_REGS;
    m_registers_synced = true;
    return true;
}

uint64_t Vcpu::exit_rip() const { return m_registers_synced ? run_area().s.regs.regs.rip : regs().rip; }

Vcpu::RunResult Vcpu::run() {
    for (;;) {
        if (::ioctl(m_fd.get(), KVM_RUN, 0) == 0) return RunResult::Exited;
        // EINTR: a signal (our kick) or immediate_exit. EAGAIN: an application processor
        // leaving wait-for-SIPI asks to be run again (docs/KVM-LAB.md; QEMU retries too).
        if (errno == EINTR) {
            run_area().immediate_exit = 0;
            return RunResult::Interrupted;
        }
        if (errno != EAGAIN) throw Error::from_errno("KVM_RUN", errno);
    }
}

}  // namespace glassvm
