// parse_size: see size.hpp.
#include "base/size.hpp"

#include <cctype>
#include <charconv>

#include "base/error.hpp"

namespace glassvm {

uint64_t parse_size(std::string_view text, std::string_view option) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data())
        throw_bad_input("{}: '{}' is not a size (examples: 64M, 1G, 512K)", option, text);

    std::string suffix;
    for (const char* c = end; c != text.data() + text.size(); ++c)
        suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    // "64MiB" and "64MB" mean 64M; a lone "B" means bytes.
    bool unit_first = !suffix.empty() && std::string_view("KMGT").find(suffix[0]) != std::string_view::npos;
    if (unit_first && (suffix.substr(1) == "IB" || suffix.substr(1) == "B")) suffix.resize(1);

    int shift = 0;
    if (suffix == "K")
        shift = 10;
    else if (suffix == "M")
        shift = 20;
    else if (suffix == "G")
        shift = 30;
    else if (suffix == "T")
        shift = 40;
    else if (!suffix.empty() && suffix != "B")
        throw_bad_input("{}: unknown unit in '{}' (use K, M, G or T)", option, text);
    if (shift > 0 && value > (UINT64_MAX >> shift)) throw_bad_input("{}: '{}' is too large", option, text);
    return value << shift;
}

}  // namespace glassvm
