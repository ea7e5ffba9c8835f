// describe_exit and exit_json_fields: see exit_format.hpp.
#include "vmm/debug/exit_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace glassvm {

std::string format_data(std::span<const uint8_t> data) {
    if (data.size() > 8) return fmt::format("{:02x}", fmt::join(data, " "));
    uint64_t value = 0;
    for (size_t i = 0; i < data.size(); ++i) value |= uint64_t{data[i]} << (8 * i);
    return fmt::format("{:#x}", value);
}

std::string describe_exit(const VmExit& exit) {
    if (auto* io = std::get_if<PortIoExit>(&exit)) {
        std::string text = fmt::format("IO {} port={:#x} size={}", io->is_write ? "out" : "in", io->port, io->size);
        if (io->count > 1) text += fmt::format(" count={}", io->count);
        return text + " data=" + format_data(io->data);
    }
    if (auto* mmio = std::get_if<MmioExit>(&exit))
        return fmt::format("MMIO {} gpa={:#x} size={} data={}", mmio->is_write ? "write" : "read", mmio->address,
                           mmio->data.size(), format_data(mmio->data));
    if (auto* failed = std::get_if<FailEntryExit>(&exit))
        return fmt::format("FAIL_ENTRY hardware_reason={:#x}", failed->hardware_reason);
    if (auto* internal = std::get_if<InternalErrorExit>(&exit))
        return fmt::format("INTERNAL_ERROR suberror={}", internal->suberror);
    if (auto* debug = std::get_if<DebugExit>(&exit))
        return fmt::format("DEBUG exception={} pc={:#x}", debug->exception, debug->pc);
    return std::string(exit_name(exit));
}

std::string exit_json_fields(const VmExit& exit) {
    std::string reason = fmt::format("\"reason\":\"{}\"", exit_name(exit));
    if (auto* io = std::get_if<PortIoExit>(&exit))
        return reason + fmt::format(",\"direction\":\"{}\",\"port\":{},\"size\":{},\"count\":{},\"data\":\"{}\"",
                                    io->is_write ? "out" : "in", io->port, io->size, io->count, format_data(io->data));
    if (auto* mmio = std::get_if<MmioExit>(&exit))
        return reason + fmt::format(",\"direction\":\"{}\",\"gpa\":{},\"size\":{},\"data\":\"{}\"",
                                    mmio->is_write ? "write" : "read", mmio->address, mmio->data.size(),
                                    format_data(mmio->data));
    if (auto* failed = std::get_if<FailEntryExit>(&exit))
        return reason + fmt::format(",\"hardware_reason\":{}", failed->hardware_reason);
    if (auto* internal = std::get_if<InternalErrorExit>(&exit))
        return reason + fmt::format(",\"suberror\":{}", internal->suberror);
    if (auto* debug = std::get_if<DebugExit>(&exit))
        return reason + fmt::format(",\"exception\":{},\"pc\":{}", debug->exception, debug->pc);
    return reason;
}

}  // namespace glassvm
