// Opening /dev/kvm with errors a newcomer can act on, and the system-wide KVM queries.
#include "vmm/kvm/kvm_system.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/error.hpp"
#include "vmm/kvm/cpuid_ioctls.hpp"

namespace glassvm {

namespace {

// The one KVM API version that has existed since Linux 2.6.22 (Documentation/virt/kvm/api.rst).
constexpr int kKvmApiVersion = 12;

[[noreturn]] void explain_open_failure(std::string_view path, int error_number) {
    std::string advice;
    switch (error_number) {
        case ENOENT:
            advice = fmt::format(
                "{} does not exist, so this machine offers no KVM. Turn on hardware virtualization "
                "(Intel VT-x or AMD-V) in the firmware setup, then load the module: `modprobe "
                "kvm_intel` or `modprobe kvm_amd`. Inside a cloud VM, ask for nested virtualization.",
                path);
            break;
        case EACCES:
        case EPERM:
            advice = fmt::format(
                "{} exists but you may not open it. Join the group that owns it (usually `kvm`): "
                "`sudo usermod -aG kvm $USER`, then log out and in again, or run glassvm as root.",
                path);
            break;
        default:
            throw Error::from_errno(fmt::format("open {}", path), error_number);
    }
    throw Error(ErrorKind::System, advice, error_number);
}

}  // namespace

KvmSystem KvmSystem::open(std::string_view device_path) {
    std::string path(device_path);
    int raw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (raw < 0) explain_open_failure(path, errno);
    return KvmSystem(Fd(raw));
}

KvmSystem::KvmSystem(Fd fd) : m_fd(std::move(fd)) {
    int version = check_syscall("KVM_GET_API_VERSION", ::ioctl(m_fd.get(), KVM_GET_API_VERSION, 0));
    if (version != kKvmApiVersion)
        throw Error(ErrorKind::System,
                    fmt::format("KVM_GET_API_VERSION: the kernel speaks KVM API {}, glassvm needs {}", version,
                                kKvmApiVersion));
    m_vcpu_mmap_size =
        static_cast<size_t>(check_syscall("KVM_GET_VCPU_MMAP_SIZE", ::ioctl(m_fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0)));
}

int KvmSystem::check_extension(int capability) const {
    return check_syscall("KVM_CHECK_EXTENSION", ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, capability));
}

int KvmSystem::max_vcpus() const {
    int most = check_extension(KVM_CAP_MAX_VCPUS);
    return most > 0 ? most : check_extension(KVM_CAP_NR_VCPUS);
}

void KvmSystem::require_extension(int capability, std::string_view name) const {
    if (check_extension(capability) <= 0)
        throw Error(ErrorKind::System, fmt::format("this kernel's KVM lacks {}, which glassvm needs", name));
}

std::vector<kvm_cpuid_entry2> KvmSystem::supported_cpuid() const {
    // The caller must offer a buffer large enough; KVM answers E2BIG otherwise. Grow until it fits.
    for (size_t capacity = 64;; capacity *= 2) {
        std::vector<uint8_t> buffer(kvm_ioctl::kCpuidEntriesOffset + capacity * sizeof(kvm_cpuid_entry2));
        auto* cpuid = reinterpret_cast<kvm_ioctl::CpuidHeader*>(buffer.data());
        cpuid->nent = static_cast<uint32_t>(capacity);
        if (::ioctl(m_fd.get(), kvm_ioctl::kGetSupportedCpuid, cpuid) == 0) {
            std::vector<kvm_cpuid_entry2> entries(cpuid->nent);
            std::memcpy(entries.data(), buffer.data() + kvm_ioctl::kCpuidEntriesOffset,
                        entries.size() * sizeof(kvm_cpuid_entry2));
            return entries;
        }
        if (errno != E2BIG || capacity > 4096) throw Error::from_errno("KVM_GET_SUPPORTED_CPUID", errno);
    }
}

}  // namespace glassvm
