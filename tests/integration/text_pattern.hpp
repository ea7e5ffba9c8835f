// Matching output lines against simple patterns with captures, for tests that used std::regex
// (GCC 12 reports a -Wmaybe-uninitialized false positive inside <regex> under -fsanitize, and
// -Werror makes that a build failure: docs/RELIABILITY.md, "Sanitizers").
// A pattern is literal text except for these placeholders, each captured:
//   {d}  one or more decimal digits      {x}  one or more lowercase hex digits
//   {w}  one or more of [A-Za-z0-9_]     {a}  exactly one lowercase letter
// Runs are greedy and never give characters back, so a placeholder must not be followed by a
// character it could itself take (true of every pattern the tests use).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::test {

using Captures = std::vector<std::string>;

namespace pattern_detail {

inline bool in_class(char kind, char c) {
    switch (kind) {
        case 'd':
            return c >= '0' && c <= '9';
        case 'x':
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        case 'w':
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        case 'a':
            return c >= 'a' && c <= 'z';
        default:
            return false;
    }
}

inline bool is_placeholder(std::string_view pattern, size_t at) {
    return at + 2 < pattern.size() && pattern[at] == '{' && pattern[at + 2] == '}' &&
           std::string_view("dxwa").find(pattern[at + 1]) != std::string_view::npos;
}

// Matches `pattern` against the start of `text`; on success returns how many characters it took.
inline std::optional<size_t> match_prefix(std::string_view text, std::string_view pattern, Captures& captures) {
    size_t position = 0;
    for (size_t at = 0; at < pattern.size();) {
        if (!is_placeholder(pattern, at)) {
            if (position >= text.size() || text[position] != pattern[at]) return std::nullopt;
            ++position, ++at;
            continue;
        }
        char kind = pattern[at + 1];
        size_t start = position;
        size_t limit = kind == 'a' ? 1 : text.size();
        while (position < text.size() && position - start < limit && in_class(kind, text[position])) ++position;
        if (position == start) return std::nullopt;
        captures.emplace_back(text.substr(start, position - start));
        at += 3;
    }
    return position;
}

}  // namespace pattern_detail

// The captures when `pattern` matches all of `text`.
inline std::optional<Captures> match_whole(std::string_view text, std::string_view pattern) {
    Captures captures;
    auto taken = pattern_detail::match_prefix(text, pattern, captures);
    if (!taken || *taken != text.size()) return std::nullopt;
    return captures;
}

// The captures of every non-overlapping match of `pattern` in `text`, left to right.
inline std::vector<Captures> search_all(std::string_view text, std::string_view pattern) {
    std::vector<Captures> matches;
    for (size_t at = 0; at < text.size();) {
        Captures captures;
        auto taken = pattern_detail::match_prefix(text.substr(at), pattern, captures);
        if (taken && *taken > 0) {
            matches.push_back(std::move(captures));
            at += *taken;
        } else {
            ++at;
        }
    }
    return matches;
}

// The captures of the first match of `pattern` anywhere in `text`.
inline std::optional<Captures> search_first(std::string_view text, std::string_view pattern) {
    for (size_t at = 0; at < text.size(); ++at) {
        Captures captures;
        if (pattern_detail::match_prefix(text.substr(at), pattern, captures)) return captures;
    }
    return std::nullopt;
}

}  // namespace glassvm::test
