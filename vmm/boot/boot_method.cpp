// Choosing a boot path by name, and the factory that maps each path to its method.
#include "vmm/boot/boot_method.hpp"

#include <array>
#include <utility>

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr std::array<std::pair<BootPath, std::string_view>, 4> kBootPathNames{{
    {BootPath::Direct, "direct"},
    {BootPath::Pvh, "pvh"},
    {BootPath::Firmware, "firmware"},
    {BootPath::Linux, "linux"},
}};

}  // namespace

BootPath parse_boot_path(std::string_view name) {
    for (const auto& [path, path_name] : kBootPathNames)
        if (path_name == name) return path;
    throw_bad_input("--boot: '{}' is not a boot path (choose direct, pvh, firmware or linux)", name);
}

std::string_view to_string(BootPath path) {
    for (const auto& [candidate, name] : kBootPathNames)
        if (candidate == path) return name;
    return "unknown";
}

std::unique_ptr<BootMethod> make_boot_method(BootPath path, const BootFiles& files) {
    switch (path) {
        case BootPath::Direct:
            return make_direct_boot(files);
        case BootPath::Pvh:
            return make_pvh_boot(files);
        case BootPath::Firmware:
            return make_firmware_boot(files);
        case BootPath::Linux:
            return make_linux_boot(files);
    }
    throw Error(ErrorKind::Internal, "make_boot_method: unknown boot path");
}

}  // namespace glassvm
