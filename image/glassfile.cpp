// The Glassfile parser (glassfile.hpp): lines → steps, each checked on its own, then the file
// as a whole (FROM first, vm-only instructions only in vm images).
#include "image/glassfile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "image/quoted.hpp"

namespace glassvm::image {

namespace {

struct Keyword {
    const char* name;
    Instruction instruction;
};

constexpr std::array<Keyword, 12> kKeywords = {{
    {"FROM", Instruction::From},
    {"COPY", Instruction::Copy},
    {"RUN", Instruction::Run},
    {"CMD", Instruction::Cmd},
    {"ENV", Instruction::Env},
    {"WORKDIR", Instruction::Workdir},
    {"KIND", Instruction::Kind},
    {"KERNEL", Instruction::Kernel},
    {"INIT", Instruction::Init},
    {"CMDLINE", Instruction::Cmdline},
    {"MEMORY", Instruction::Memory},
    {"CPUS", Instruction::Cpus},
}};

std::string trim(const std::string& text) {
    size_t first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    size_t last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream stream(text);
    std::vector<std::string> words;
    for (std::string word; stream >> word;) words.push_back(word);
    return words;
}

// A logical line: its text and the number of its first physical line.
std::vector<std::pair<std::string, int>> logical_lines(const std::string& text) {
    std::vector<std::pair<std::string, int>> lines;
    std::istringstream stream(text);
    std::string pending;
    int first_line = 0;
    int number = 0;
    for (std::string line; std::getline(stream, line);) {
        ++number;
        std::string trimmed = trim(line);
        if (pending.empty() && (trimmed.empty() || trimmed.front() == '#')) continue;
        if (pending.empty()) first_line = number;
        bool continues = !trimmed.empty() && trimmed.back() == '\\';
        pending += continues ? trim(trimmed.substr(0, trimmed.size() - 1)) + " " : trimmed;
        if (continues) continue;
        lines.emplace_back(trim(pending), first_line);
        pending.clear();
    }
    if (!pending.empty()) lines.emplace_back(trim(pending), first_line);
    return lines;
}

class Parser {
public:
    explicit Parser(std::string file_name) : m_file_name(std::move(file_name)) {}

    template <typename... Args>
    [[noreturn]] void fail(int line, fmt::format_string<Args...> format, Args&&... args) const {
        throw_bad_input("{}:{}: {}", m_file_name, line, fmt::format(format, std::forward<Args>(args)...));
    }

    GlassfileStep parse_line(const std::string& text, int line) const {
        // Steps end up in JSON (image records, --json output): bytes that are not UTF-8 would
        // make writing them fail late, after the build did its work.
        if (!is_valid_utf8(text)) fail(line, "the line is not valid UTF-8");
        size_t space = text.find_first_of(" \t");
        std::string keyword = text.substr(0, space);
        std::string rest = space == std::string::npos ? "" : trim(text.substr(space));
        std::string upper = keyword;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
        auto found =
            std::find_if(kKeywords.begin(), kKeywords.end(), [&](const Keyword& k) { return upper == k.name; });
        if (found == kKeywords.end()) fail(line, "unknown instruction '{}'", keyword);
        if (rest.empty()) fail(line, "{} needs an argument", found->name);
        GlassfileStep step{found->instruction, arguments(found->instruction, rest, line), text, line};
        return step;
    }

    std::vector<std::string> arguments(Instruction instruction, const std::string& rest, int line) const {
        switch (instruction) {
            case Instruction::Run:
            case Instruction::Cmd:
                return command(rest, line);
            case Instruction::Copy: {
                std::vector<std::string> words = split_words(rest);
                if (words.size() != 2) fail(line, "COPY takes a source and a destination, not {} words", words.size());
                return words;
            }
            case Instruction::Env:
                if (rest.find('=') == std::string::npos || rest.front() == '=')
                    fail(line, "ENV takes KEY=VALUE, not '{}'", rest);
                return {rest};
            case Instruction::Kind:
                if (rest != "box" && rest != "vm") fail(line, "KIND is box or vm, not '{}'", rest);
                return {rest};
            case Instruction::From:
            case Instruction::Workdir:
            case Instruction::Kernel:
            case Instruction::Init:
            case Instruction::Memory:
            case Instruction::Cpus:
                if (split_words(rest).size() != 1)
                    fail(line, "{} takes one word, not '{}'", instruction_name(instruction), rest);
                return {rest};
            case Instruction::Cmdline:
                return {rest};
        }
        return {rest};
    }

    // A JSON array of strings, or a shell line run by /bin/sh -c.
    std::vector<std::string> command(const std::string& rest, int line) const {
        if (rest.front() != '[') return {"/bin/sh", "-c", rest};
        try {
            auto words = nlohmann::json::parse(rest).get<std::vector<std::string>>();
            if (words.empty()) fail(line, "the command array is empty");
            return words;
        } catch (const nlohmann::json::exception&) {
            fail(line, "'{}' is not a JSON array of strings", rest);
        }
    }

    void check_file(const std::vector<GlassfileStep>& steps) const {
        if (steps.empty()) throw_bad_input("{}: no instructions (it must start with FROM)", m_file_name);
        if (steps.front().instruction != Instruction::From)
            fail(steps.front().line, "the first instruction must be FROM");
        bool vm = false;
        for (const GlassfileStep& step : steps) {
            if (&step != &steps.front() && step.instruction == Instruction::From)
                fail(step.line, "FROM may appear only once");
            if (step.instruction == Instruction::Kind) vm = step.arguments[0] == "vm";
        }
        for (const GlassfileStep& step : steps) {
            bool vm_only = step.instruction == Instruction::Kernel || step.instruction == Instruction::Init ||
                           step.instruction == Instruction::Cmdline || step.instruction == Instruction::Memory ||
                           step.instruction == Instruction::Cpus;
            if (vm_only && !vm)
                fail(step.line, "{} is for vm images (add KIND vm)", instruction_name(step.instruction));
        }
    }

private:
    std::string m_file_name;
};

}  // namespace

std::string instruction_name(Instruction instruction) {
    for (const Keyword& keyword : kKeywords)
        if (keyword.instruction == instruction) return keyword.name;
    return "?";
}

std::vector<GlassfileStep> parse_glassfile(const std::string& text, const std::string& file_name) {
    Parser parser(file_name);
    std::vector<GlassfileStep> steps;
    for (const auto& [line_text, line] : logical_lines(text)) steps.push_back(parser.parse_line(line_text, line));
    parser.check_file(steps);
    return steps;
}

}  // namespace glassvm::image
