// The kernel command line: kept in kernel memory, split into words, `key=value` look-ups, and the
// words after `--` that become init's arguments (`quiet -- 1000` gives init argv {"init", "1000"}).
// The kernel's own words: `hostname=NAME` (uname), `tasks=N` (run init as N tasks), `shell`,
// `initcpu=K` (init's CPU), `smpboot=serial`, `smpdelay=spec|none` (smp.cpp), `haltall`.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

// Linux's COMMAND_LINE_SIZE on x86; longer command lines are cut.
constexpr size_t kCapacity = 2048;
char text[kCapacity];
size_t text_length;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// The next space-separated word at or after `position`; false at the end of the line.
bool next_word(size_t& position, Word& word) {
    while (position < text_length && is_space(text[position])) ++position;
    if (position == text_length) return false;
    size_t start = position;
    while (position < text_length && !is_space(text[position])) ++position;
    word = {text + start, position - start};
    return true;
}

bool is_separator(const Word& word) { return word.length == 2 && word.text[0] == '-' && word.text[1] == '-'; }

}  // namespace

// Copied because the loader's copy may lie where init's segments or stack will go.
void cmdline_init(const abi::BootInfo& boot) {
    if (boot.cmdline_address == 0) return;
    text_length = boot.cmdline_length < kCapacity - 1 ? boot.cmdline_length : kCapacity - 1;
    memcpy(text, reinterpret_cast<const char*>(boot.cmdline_address), text_length);
    text[text_length] = '\0';
}

Word cmdline() { return {text, text_length}; }

Word cmdline_value(const char* key) {
    size_t key_length = string_length(key);
    size_t position = 0;
    Word word;
    while (next_word(position, word) && !is_separator(word)) {
        if (word.length > key_length && word.text[key_length] == '=' && memcmp(word.text, key, key_length) == 0)
            return {word.text + key_length + 1, word.length - key_length - 1};
    }
    return {nullptr, 0};
}

bool cmdline_has(const char* flag) {
    size_t length = string_length(flag);
    size_t position = 0;
    Word word;
    while (next_word(position, word) && !is_separator(word))
        if (word.length == length && memcmp(word.text, flag, length) == 0) return true;
    return false;
}

size_t cmdline_init_arguments(Word* words, size_t capacity) {
    size_t position = 0;
    Word word;
    while (next_word(position, word) && !is_separator(word)) {}
    size_t count = 0;
    while (count < capacity && next_word(position, word)) words[count++] = word;
    return count;
}

}  // namespace glassvm::guest
