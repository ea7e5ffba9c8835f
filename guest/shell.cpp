// The console shell (`--cmdline shell`): a kernel task that reads lines from the serial console,
// echoing as it goes, and runs a handful of commands. It reads through the same interrupt-driven
// input as the read system call, so it sleeps between keystrokes, and it works the same whether
// a person types (Enter sends '\r', Backspace 0x7f) or a pipe feeds it ('\n').
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

constexpr size_t kLineCapacity = 128;
constexpr size_t kMaxWords = 16;
constexpr char kBackspace = 0x08, kDelete = 0x7f;

// Reads one line into `line` (without its end); returns its length.
size_t read_line(char* line) {
    size_t length = 0;
    static char previous;  // a "\r\n" pair is one line end, not an empty line after it
    for (;;) {
        char c;
        input_read(&c, 1);
        bool pair = c == '\n' && previous == '\r';
        previous = c;
        if (pair) continue;
        if (c == '\r' || c == '\n') {
            print("\n");
            return length;
        }
        if (c == kBackspace || c == kDelete) {
            if (length > 0) {
                --length;
                print("\b \b");
            }
        } else if (c >= ' ' && c < kDelete && length < kLineCapacity) {
            line[length++] = c;
            print(&c, 1);
        }
    }
}

size_t split(char* line, size_t length, Word* words) {
    size_t count = 0, position = 0;
    while (count < kMaxWords) {
        while (position < length && line[position] == ' ') ++position;
        if (position == length) break;
        size_t start = position;
        while (position < length && line[position] != ' ') ++position;
        words[count++] = {line + start, position - start};
    }
    return count;
}

bool is(const Word& word, const char* text) {
    size_t length = string_length(text);
    return word.length == length && memcmp(word.text, text, length) == 0;
}

void print_seconds(uint64_t nanoseconds) {
    print_dec(nanoseconds / 1'000'000'000);
    print(".");
    uint64_t milliseconds = nanoseconds / 1'000'000 % 1000;
    if (milliseconds < 100) print("0");
    if (milliseconds < 10) print("0");
    print_dec(milliseconds);
}

// `run probe [ARGS]`: the init module (the only program the kernel has) as a child task, with
// argv {"probe", ARGS...}; the shell waits for it.
void run_program(const Word* words, size_t count) {
    if (count < 2 || !is(words[1], "probe")) {
        print("run: the one program here is the init module: run probe [ARGS]\n");
        return;
    }
    if (!program_present()) {
        print("run: no program to run (boot with --init FILE)\n");
        return;
    }
    // The child runs on the shell's CPU, as every task runs on the CPU that created it.
    Task* child = task_spawn_user(words + 1, count - 1, current_task(), current_task()->cpu);
    if (!child) {
        print("run: no free task or memory\n");
        return;
    }
    task_make_ready(child);
    uint8_t status = task_wait(child);
    print("[probe exited with status ");
    print_dec(status);
    print("]\n");
}

void run_command(const Word* words, size_t count) {
    if (count == 0) return;
    const Word& command = words[0];
    if (is(command, "help")) {
        print("commands: help, uname, uptime, ticks, run probe [ARGS], poweroff\n");
    } else if (is(command, "uname")) {
        print("glassvm " GLASSVM_VERSION " x86_64\n");
    } else if (is(command, "uptime")) {
        print("up ");
        print_seconds(clock_now_ns());
        print(" s\n");
    } else if (is(command, "ticks")) {
        print("ticks ");
        print_dec(clock_ticks());
        print(" (");
        print_dec(kTickHz);
        print(" Hz)\n");
    } else if (is(command, "run")) {
        run_program(words, count);
    } else if (is(command, "poweroff")) {
        print("powering off\n");
        exit_vm(abi::kStatusSuccess);
    } else {
        print("unknown command: ");
        print(command.text, command.length);
        print(" (try help)\n");
    }
}

}  // namespace

void shell_main() {
    print("glassvm shell: type help for the commands\n");
    for (;;) {
        char line[kLineCapacity];
        print("glassvm> ");
        size_t length = read_line(line);
        Word words[kMaxWords];
        run_command(words, split(line, length, words));
    }
}

}  // namespace glassvm::guest
