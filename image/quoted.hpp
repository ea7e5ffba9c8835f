// Names from hostile or careless input (tar entry paths, image names) in error messages: a
// message is one line of valid UTF-8, because it ends up on a terminal and in the daemon's JSON
// error bodies, where a raw 0xff byte made nlohmann throw instead of answering.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glassvm::image {

// Whether `text` is valid UTF-8, by the rule nlohmann's dump() applies when it writes JSON.
inline bool is_valid_utf8(std::string_view text) {
    try {
        (void)nlohmann::json(std::string(text)).dump();
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}

// 'text' in single quotes, glassvm's usual style, when it is UTF-8 without control characters;
// otherwise as a JSON string literal: in double quotes, control characters escaped (\n,
// \u0001) and bytes that are not UTF-8 replaced by U+FFFD.
inline std::string quote_untrusted(std::string_view text) {
    bool plain = is_valid_utf8(text) &&
                 std::none_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    if (plain) return "'" + std::string(text) + "'";
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace glassvm::image
