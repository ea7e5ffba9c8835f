// The KVM system handle (/dev/kvm): API version and capability checks, the CPUID the host
// supports, and the size of a vCPU's kvm_run area. The bottom layer: knows nothing above it.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace glassvm {

class KvmSystem {
public:
    // Opens /dev/kvm (or `device_path`) and checks KVM_GET_API_VERSION == 12. A missing or
    // inaccessible device is a plain-language Error saying what to install or which group to
    // join.
    static KvmSystem open(std::string_view device_path = "/dev/kvm");

    int fd() const { return m_fd.get(); }

    // KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific positive value.
    int check_extension(int capability) const;
    // Throws a plain Error naming the capability when it is absent.
    void require_extension(int capability, std::string_view name) const;

    // KVM_CAP_MAX_VCPUS: the most vCPUs one VM may have (KVM_CAP_NR_VCPUS when that is absent).
    int max_vcpus() const;

    // KVM_GET_SUPPORTED_CPUID: every CPUID leaf KVM can present to a guest.
    std::vector<kvm_cpuid_entry2> supported_cpuid() const;

    // KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from each vCPU fd for its kvm_run.
    size_t vcpu_mmap_size() const { return m_vcpu_mmap_size; }

private:
    explicit KvmSystem(Fd fd);

    Fd m_fd;
    size_t m_vcpu_mmap_size = 0;
};

}  // namespace glassvm
