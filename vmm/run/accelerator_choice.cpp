// Choosing and opening the accelerator (see accelerator_choice.hpp). The one file above the seam
// that names its backends.
#include "vmm/run/accelerator_choice.hpp"

#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "base/error.hpp"
#include "vmm/kvm/kvm_accelerator.hpp"    // the one include of vmm/kvm/ above the seam
#include "vmm/soft/soft_accelerator.hpp"  // the one include of vmm/soft/ above the seam

namespace glassvm {

namespace {

constexpr std::pair<AcceleratorChoice, std::string_view> kChoiceNames[] = {
    {AcceleratorChoice::Auto, "auto"},
    {AcceleratorChoice::Kvm, "kvm"},
    {AcceleratorChoice::Soft, "soft"},
};

constexpr std::string_view kKvmName = "KVM";
constexpr std::string_view kSoftName = "soft CPU";

// `message` with `addition` after it: a sentence of its own when `message` ends one, otherwise
// in parentheses.
std::string with_addition(std::string_view message, std::string_view addition) {
    if (message.ends_with('.')) return fmt::format("{} {}.", message, addition);
    return fmt::format("{} ({})", message, addition);
}

// The first sentence of an error message, for a one-line reason: KVM's advice on a missing
// /dev/kvm is several ("… offers no KVM. Turn on hardware virtualization …").
std::string first_sentence(std::string_view message) {
    std::string_view sentence = message.substr(0, message.find(". "));
    if (sentence.ends_with('.')) sentence.remove_suffix(1);
    return std::string(sentence);
}

std::unique_ptr<Accelerator> open_kvm() { return std::make_unique<KvmAccelerator>(); }
std::unique_ptr<Accelerator> open_soft() { return std::make_unique<SoftAccelerator>(); }

}  // namespace

AcceleratorChoice parse_accelerator_choice(std::string_view text, std::string_view what) {
    for (const auto& [choice, name] : kChoiceNames)
        if (name == text) return choice;
    throw_bad_input("{}: '{}' is not an accelerator (choose auto, kvm or soft)", what, text);
}

std::string_view to_string(AcceleratorChoice choice) {
    for (const auto& [candidate, name] : kChoiceNames)
        if (candidate == choice) return name;
    return "unknown";
}

AcceleratorChoice resolve_accelerator_choice(std::string_view flag, const char* environment) {
    if (!flag.empty()) return parse_accelerator_choice(flag, "--accel");
    if (environment != nullptr && *environment != '\0')
        return parse_accelerator_choice(environment, kAccelEnvironmentVariable);
    return AcceleratorChoice::Auto;
}

AcceleratorChoice resolve_accelerator_choice(std::string_view flag) {
    return resolve_accelerator_choice(flag, std::getenv(kAccelEnvironmentVariable));
}

OpenedAccelerator open_accelerator(AcceleratorChoice choice) {
    switch (choice) {
        case AcceleratorChoice::Kvm:
            try {
                return {open_kvm(), "--accel kvm", false};
            } catch (const Error& error) {
                throw Error(error.kind(),
                            with_addition(error.what(), "glassvm's software CPU (`--accel soft`) is meant for machines without KVM, but cannot run guests yet (docs/SOFT-CPU.md)"),
                            error.error_number());
            }
        case AcceleratorChoice::Soft:
            return {open_soft(), "--accel soft", false};
        case AcceleratorChoice::Auto:
            break;
    }
    try {
        return {open_kvm(), "--accel auto: /dev/kvm works", false};
    } catch (const Error& kvm_error) {
        std::string reason =
            fmt::format("no usable /dev/kvm ({}): running on the {}", first_sentence(kvm_error.what()), kSoftName);
        try {
            return {open_soft(), std::move(reason), true};
        } catch (const std::exception& soft_error) {
            throw Error(kvm_error.kind(),
                        with_addition(kvm_error.what(), fmt::format("The soft CPU did not start either: {}",
                                                                    first_sentence(soft_error.what()))),
                        kvm_error.error_number());
        }
    }
}

AcceleratorReport probe_accelerators() {
    AcceleratorReport report;
    auto probe = [](std::string_view name, auto open) {
        AcceleratorStatus status{.name = std::string(name), .usable = false, .detail = {}};
        try {
            std::unique_ptr<Accelerator> accelerator = open();
            status.usable = true;
            status.detail = fmt::format("up to {} vCPUs per VM", accelerator->max_vcpus());
        } catch (const std::exception& error) {
            status.detail = error.what();
        }
        return status;
    };
    report.kvm = probe(kKvmName, open_kvm);
    report.soft = probe(kSoftName, open_soft);
    report.auto_picks = report.kvm.usable    ? AcceleratorChoice::Kvm
                        : report.soft.usable ? AcceleratorChoice::Soft
                                             : AcceleratorChoice::Auto;
    return report;
}

std::vector<std::string> describe(const AcceleratorReport& report) {
    std::vector<std::string> lines;
    for (const AcceleratorStatus& status : {report.kvm, report.soft})
        lines.push_back(status.usable ? fmt::format("{}: usable ({})", status.name, status.detail)
                                      : fmt::format("{}: not usable: {}", status.name, status.detail));
    switch (report.auto_picks) {
        case AcceleratorChoice::Kvm:
            lines.push_back(fmt::format("--accel auto picks {}", report.kvm.name));
            break;
        case AcceleratorChoice::Soft:
            lines.push_back(fmt::format("--accel auto picks the {} (no usable /dev/kvm: {})", report.soft.name,
                                        first_sentence(report.kvm.detail)));
            break;
        case AcceleratorChoice::Auto:
            lines.push_back("--accel auto has nothing to pick: neither backend opens here");
            break;
    }
    return lines;
}

}  // namespace glassvm
