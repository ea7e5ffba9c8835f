// Names → ids through the colon-separated databases (passwd(5), group(5)).
#include "vmm/sandbox/user_lookup.hpp"

#include <charconv>
#include <fstream>
#include <optional>
#include <vector>

#include "base/error.hpp"

namespace glassvm::sandbox {

namespace {

std::optional<unsigned> parse_id(std::string_view text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// Every field, the empty last one too ("kvm:x:995:" has four: no members).
std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t colon = line.find(':'); colon != std::string::npos; colon = line.find(':', start)) {
        fields.push_back(line.substr(start, colon - start));
        start = colon + 1;
    }
    fields.push_back(line.substr(start));
    return fields;
}

// The fields of the line of `database` whose first field is `name`, if any.
std::optional<std::vector<std::string>> find_entry(const char* database, const std::string& name) {
    std::ifstream file(database);
    std::string line;
    while (std::getline(file, line)) {
        std::vector<std::string> fields = split_fields(line);
        if (fields.size() >= 4 && fields[0] == name) return fields;
    }
    return std::nullopt;
}

}  // namespace

UserIds find_user(const std::string& text, const char* option) {
    if (std::optional<unsigned> uid = parse_id(text)) {
        // A number: its primary group, if /etc/passwd knows it.
        std::ifstream file("/etc/passwd");
        std::string line;
        while (std::getline(file, line)) {
            std::vector<std::string> fields = split_fields(line);
            if (fields.size() >= 4 && parse_id(fields[2]) == uid)
                if (std::optional<unsigned> gid = parse_id(fields[3])) return {*uid, *gid, true};
        }
        return {*uid, 0, false};
    }
    std::optional<std::vector<std::string>> entry = find_entry("/etc/passwd", text);
    std::optional<unsigned> uid = entry ? parse_id((*entry)[2]) : std::nullopt;
    std::optional<unsigned> gid = entry ? parse_id((*entry)[3]) : std::nullopt;
    if (!uid || !gid) throw_bad_input("{}: '{}' is neither a number nor a user in /etc/passwd", option, text);
    return {*uid, *gid, true};
}

gid_t find_group(const std::string& text, const char* option) {
    if (std::optional<unsigned> gid = parse_id(text)) return *gid;
    std::optional<std::vector<std::string>> entry = find_entry("/etc/group", text);
    std::optional<unsigned> gid = entry ? parse_id((*entry)[2]) : std::nullopt;
    if (!gid) throw_bad_input("{}: '{}' is neither a number nor a group in /etc/group", option, text);
    return *gid;
}

}  // namespace glassvm::sandbox
