// How a device tells the user about something the guest did that the machine does not honour
// (a write to ROM, a reset request): one sentence, handed to whoever built the machine, which
// prints it. Devices never print themselves, so tests can collect what they say.
#pragma once

#include <functional>
#include <string_view>

namespace glassvm {

using DeviceReport = std::function<void(std::string_view sentence)>;

}  // namespace glassvm
