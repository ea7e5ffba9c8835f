// GET /info: the daemon's version, what KVM offers on this host, which accelerators open (and
// which `--accel auto` picks), and how cgroups are mounted.
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "daemon/api_context.hpp"
#include "vmm/run/accelerator_choice.hpp"

namespace glassvm::daemon {

using nlohmann::json;

namespace {

json kvm_info() {
    glassvm::Fd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
    if (!kvm) return {{"available", false}, {"reason", std::string("/dev/kvm: ") + std::strerror(errno)}};
    auto check = [&](int capability) { return ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, capability); };
    return {{"available", true},
            {"api_version", ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0)},
            {"capabilities",
             {{"irqchip", check(KVM_CAP_IRQCHIP) > 0},
              {"pit2", check(KVM_CAP_PIT2) > 0},
              {"readonly_mem", check(KVM_CAP_READONLY_MEM) > 0},
              {"ioeventfd", check(KVM_CAP_IOEVENTFD) > 0},
              {"recommended_vcpus", check(KVM_CAP_NR_VCPUS)},
              {"max_vcpus", check(KVM_CAP_MAX_VCPUS)}}}};
}

// Which backends open here and which `--accel auto` picks (vmm/run/accelerator_choice.hpp).
json accelerators_info() {
    AcceleratorReport report = probe_accelerators();
    auto status = [](const AcceleratorStatus& backend) {
        return json{{"name", backend.name}, {"usable", backend.usable}, {"detail", backend.detail}};
    };
    return {
        {"kvm", status(report.kvm)},
        {"soft", status(report.soft)},
        {"auto", report.auto_picks == AcceleratorChoice::Auto ? json(nullptr) : json(to_string(report.auto_picks))}};
}

// cgroup v2 alone ("unified"), v1 controllers with an empty v2 tree beside them ("hybrid"), or v1.
std::string cgroup_mode() {
    if (::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) return "unified";
    if (::access("/sys/fs/cgroup/unified", F_OK) == 0) return "hybrid";
    return "legacy";
}

}  // namespace

void add_info_routes(httplib::Server& server, ApiContext& context) {
    server.Get("/info", guarded([&context](const httplib::Request&, httplib::Response& response) {
                   reply_json(response, {{"version", GLASSVM_VERSION},
                                         {"kvm", kvm_info()},
                                         {"accelerators", accelerators_info()},
                                         {"cgroup", cgroup_mode()},
                                         {"root", context.root.string()},
                                         {"socket", context.socket.string()}});
               }));
}

}  // namespace glassvm::daemon
