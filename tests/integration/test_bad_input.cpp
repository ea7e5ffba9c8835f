// Bad input from the user: malformed and truncated kernels, init programs, firmware
// images, bzImages and OCI bundles; sizes and counts out of range; missing files, directories
// and FIFOs where a file belongs. Each case must end glassvm with status 2 and exactly one line
// on stderr naming the problem — and leave nothing behind: no box cgroup, no temporary file, no
// process. All of it is checked before /dev/kvm is opened, so these pass on machines without KVM.
// The table of cases and messages is in docs/RELIABILITY.md, "Bad input".
#include <catch2/catch.hpp>

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_box_support.hpp"

using namespace glassvm::test;
namespace fs = std::filesystem;

namespace {

struct BadInput {
    std::vector<std::string> arguments;  // after "glassvm"
    std::string message;                 // a part of the one line glassvm must print
};

std::string read_text(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A cut inside the last loadable segment's bytes: the file's own size is no guide, as a build
// with debug information carries its sections after the segments.
size_t middle_of_last_segment(const std::string& elf) {
    Elf64_Ehdr header;
    std::memcpy(&header, elf.data(), sizeof header);
    size_t cut = 0;
    for (int i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment;
        std::memcpy(&segment, elf.data() + header.e_phoff + i * sizeof segment, sizeof segment);
        if (segment.p_type == PT_LOAD && segment.p_filesz > 0)
            cut = std::max<size_t>(cut, segment.p_offset + segment.p_filesz / 2);
    }
    return cut;
}

// The malformed files, made once per build tree from the real guest, firmware and Linux stub.
struct Fixtures {
    fs::path directory = build_path("bad-input-" + std::to_string(::getpid()));  // tests run in parallel
    std::string path(const std::string& name) const { return (directory / name).string(); }

    Fixtures() {
        fs::remove_all(directory);
        fs::create_directories(directory / "a-directory");
        std::string guest = read_text(build_path("guest/glassvm-guest.elf"));
        for (size_t cut : {30, 64, 200, 4096})
            write_bytes(directory / ("elf-cut-" + std::to_string(cut)), guest.substr(0, cut));
        write_bytes(directory / "elf-half", guest.substr(0, middle_of_last_segment(guest)));
        std::string aarch64 = guest;
        aarch64[18] = char(183), aarch64[19] = 0;  // e_machine = EM_AARCH64
        write_bytes(directory / "elf-aarch64", aarch64);
        std::string elf32 = guest;
        elf32[4] = 1;  // EI_CLASS = ELFCLASS32
        write_bytes(directory / "elf-32", elf32);
        write_bytes(directory / "empty", "");
        write_bytes(directory / "text", "hello\n");
        ::mkfifo(path("fifo").c_str(), 0644);
        write_bytes(directory / "firmware-1000",
                    read_text(build_path("firmware/glassvm-firmware.bin")).substr(0, 1000));
        write_bytes(directory / "firmware-zeros", std::string(65536, '\0'));
        std::string stub = read_text(build_path("tests/guests/linux_stub.bin"));
        for (size_t cut : {100, 600, 1024})
            write_bytes(directory / ("bzimage-cut-" + std::to_string(cut)), stub.substr(0, cut));
        make_bundles();
    }
    ~Fixtures() {
        std::error_code error;
        fs::remove_all(directory, error);
    }

    void make_bundles() const {
        fs::create_directories(directory / "bundle-no-config");
        fs::create_directories(directory / "bundle-bad-json");
        write_bytes(directory / "bundle-bad-json/config.json", "{\"ociVersion\": \"1.0.2\", \"process\": {");
        fs::create_directories(directory / "bundle-no-rootfs");
        write_bytes(directory / "bundle-no-rootfs/config.json",
                    R"({"ociVersion":"1.0.2","process":{"args":["/bin/true"],"cwd":"/"},"root":{"path":"rootfs"}})");
        fs::create_directories(directory / "bundle-config-directory/config.json");
        fs::create_directories(directory / "bundle-config-fifo");
        ::mkfifo(path("bundle-config-fifo/config.json").c_str(), 0644);
    }
};

const Fixtures& fixtures() {
    static Fixtures made;
    return made;
}

std::string marker() { return "glassvm-bad-input-" + std::to_string(::getpid()); }

// Processes whose environment carries this test's marker (glassvm and anything it started).
std::vector<int> marked_processes() {
    std::vector<int> found;
    std::string needle = "GLASSVM_BAD_INPUT_MARKER=" + marker();
    std::error_code error;
    for (const auto& process : fs::directory_iterator("/proc", error)) {
        std::string name = process.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == ::getpid()) continue;
        if (read_text(process.path() / "environ").find(needle) != std::string::npos) found.push_back(std::stoi(name));
    }
    return found;
}

bool box_cgroup_exists(const std::string& glassvm_pid) {
    std::error_code error;
    fs::recursive_directory_iterator it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, error), end;
    for (; !error && it != end; it.increment(error)) {
        if (it.depth() > 4) it.disable_recursion_pending();
        if (it->path().filename() == "glassvm-box-" + glassvm_pid) return true;
    }
    return false;
}

// Runs glassvm with the case's arguments through a shell that prints its own pid first and then
// becomes glassvm (exec keeps the pid), with a marker in the environment and an empty TMPDIR.
void check_refused(const BadInput& input) {
    fs::path scratch = fixtures().directory / "tmp";
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    std::vector<std::string> argv = {
        "/bin/sh", "-c",
        "echo $$ >&2; exec env GLASSVM_BAD_INPUT_MARKER=" + marker() + " TMPDIR=" + scratch.string() + " \"$0\" \"$@\"",
        build_path("glassvm")};
    argv.insert(argv.end(), input.arguments.begin(), input.arguments.end());
    ProcessResult result = run_process(argv, {}, std::chrono::seconds(20));
    size_t newline = result.err.find('\n');
    REQUIRE(newline != std::string::npos);
    std::string pid = result.err.substr(0, newline), err = result.err.substr(newline + 1);
    std::string shown;
    for (const std::string& argument : input.arguments) shown += " " + argument.substr(0, 80);
    INFO("glassvm" << shown << "\n" << err);
    CHECK(result.exit_status == 2);
    CHECK_FALSE(result.timed_out);
    CHECK(err.starts_with("glassvm: "));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);  // one line
    CHECK_THAT(err, Catch::Contains(input.message));
    CHECK(result.out.empty());
    CHECK(fs::is_empty(scratch));
    CHECK(marked_processes().empty());
    CHECK_FALSE(box_cgroup_exists(pid));
}

std::vector<BadInput> vm_cases() {
    const Fixtures& f = fixtures();
    std::string stub = build_path("tests/guests/linux_stub.bin");
    std::string guest = build_path("guest/glassvm-guest.elf");
    std::string half = f.path("elf-half");
    return {
        {{"run", f.path("elf-cut-30")}, ": too short to be an ELF file (30 bytes)"},
        {{"run", f.path("elf-cut-64")}, ": program headers run past the end of the file (truncated?)"},
        {{"run", f.path("elf-cut-200")}, ": program headers run past the end of the file (truncated?)"},
        {{"run", f.path("elf-cut-4096")}, "runs past the end of the file (truncated?)"},
        {{"run", half}, "runs past the end of the file (truncated?)"},
        {{"run", f.path("elf-aarch64")}, ": built for AArch64 (ELF machine 183), not x86-64 (62)"},
        {{"run", f.path("elf-32")}, ": a 32-bit ELF file; glassvm boots only ELF64"},
        {{"run", f.path("empty")}, "kernel " + f.path("empty") + ": too short to be an ELF file (0 bytes)"},
        {{"run", f.path("text")}, ": too short to be an ELF file (6 bytes)"},
        {{"run", f.path("a-directory")}, "kernel " + f.path("a-directory") + ": is a directory, not a file"},
        {{"run", f.path("missing")}, "kernel " + f.path("missing") + ": No such file or directory"},
        {{"run", f.path("fifo")}, "kernel " + f.path("fifo") + ": is a FIFO, not a regular file"},
        {{"run", "/dev/null"}, "kernel /dev/null: is a character device, not a regular file"},
        {{"run", "--boot", "pvh", "--kernel", half}, "runs past the end of the file (truncated?)"},
        {{"run", "--init", f.path("elf-cut-30")}, "init program " + f.path("elf-cut-30") + ": too short"},
        {{"run", "--init", f.path("a-directory")}, "init program " + f.path("a-directory") + ": is a directory"},
        {{"run", "--init", f.path("missing")}, "init program " + f.path("missing") + ": No such file"},
        {{"run", "--init", f.path("fifo")}, "init program " + f.path("fifo") + ": is a FIFO"},
        {{"run", "--boot", "firmware", "--firmware", f.path("firmware-1000")},
         "firmware ROM " + f.path("firmware-1000") + ": 1000 bytes is not a whole number of 4 KiB pages"},
        {{"run", "--boot", "firmware", "--firmware", f.path("firmware-zeros")}, ": no jump at the reset vector"},
        {{"run", "--boot", "firmware", "--firmware", f.path("empty")},
         "firmware ROM " + f.path("empty") + ": is empty"},
        {{"run", "--boot", "firmware", "--firmware", f.path("a-directory")}, ": is a directory, not a file"},
        {{"run", "--boot", "firmware", "--firmware", f.path("missing")}, ": No such file or directory"},
        {{"run", "--firmware", f.path("firmware-zeros")}, "--firmware: a boot ROM is only used with --boot firmware"},
        {{"run", "--boot", "linux", "--kernel", f.path("bzimage-cut-100")}, "neither a bzImage"},
        {{"run", "--boot", "linux", "--kernel", f.path("bzimage-cut-600")}, ": 600 bytes is too short to be a bzImage"},
        {{"run", "--boot", "linux", "--kernel", f.path("bzimage-cut-1024")}, "leave no kernel in a 1024-byte file"},
        {{"run", "--boot", "linux", "--kernel", f.path("a-directory")}, ": is a directory, not a file"},
        {{"run", "--boot", "linux"}, "--boot linux: give the kernel to boot with --kernel"},
        {{"run", "--boot", "linux", "--kernel", stub, "--initrd", f.path("a-directory")},
         "initrd " + f.path("a-directory")},
        {{"run", "--boot", "linux", "--kernel", stub, "--initrd", f.path("missing")}, ": No such file or directory"},
        {{"run", "--boot", "nope"}, "--boot: 'nope' is not a boot path"},
        {{"run", "--mem", "0"}, "--mem: 0 bytes is outside what glassvm supports (4 MiB to 3072 MiB)"},
        {{"run", "--mem", "1"}, "--mem: 1 byte is outside"},
        {{"run", "--mem", "1T"}, "--mem: 1 TiB is outside"},
        {{"run", "--mem", "4G"}, "--mem: 4 GiB is outside"},
        {{"run", "--mem", "abc"}, "--mem: 'abc' is not a size"},
        {{"run", "--mem", "-5"}, "--mem: '-5' is not a size"},
        {{"run", "--mem", "1.5G"}, "--mem: unknown unit in '1.5G'"},
        {{"run", "--mem", "16777217"}, "is not a whole number of 4 KiB pages"},
        {{"run", "--mem", "99999999999T"}, "--mem: '99999999999T' is too large"},
        {{"run", "--cpus", "0"}, "--cpus: 0 is not supported; the guest kernel brings up 1 to 16 CPUs"},
        {{"run", "--cpus", "17"}, "--cpus: 17 is not supported"},
        {{"run", "--cpus", "1000"}, "--cpus: 1000 is not supported"},
        {{"run", "--cpus", "-1"}, "--cpus: -1 is not supported"},
        {{"run", "--cpus", "two"}, "--cpus = two"},
        {{"run", "--timeout", "-1"}, "--timeout: '-1' is not a number of seconds from 0 to 604800"},
        {{"run", "--timeout", "soon"}, "--timeout: 'soon' is not a number of seconds"},
        {{"run", "--timeout", "inf"}, "--timeout: 'inf' is not a number of seconds"},
        {{"run", "--timeout", "1e20"}, "--timeout: '1e20' is not a number of seconds"},
        {{"run", "--cpuid", "-bogus"}, "--cpuid: '-bogus' is not a feature glassvm knows by name"},
        {{"run", "--accel", "bogus"}, "--accel: 'bogus' is not an accelerator (choose auto, kvm or soft)"},
        {{"run", "--accel", "KVM"}, "--accel: 'KVM' is not an accelerator"},
        {{"run", "--cmdline", std::string(5000, 'a')},
         "--cmdline: 5000 bytes is longer than the 4095 the guest accepts"},
        {{"run", "--no-such-option"}, "--no-such-option"},
        {{"run", guest, "--kernel", guest}, "--kernel"},
        {{"run", "--image", "nosuch", "--store", f.path("a-directory")}, "no image 'nosuch' in the store at"},
        {{"run", "--gdb", "127.0.0.1:abc"}, "--gdb: '127.0.0.1:abc' is not [HOST:]PORT"},
        {{"run", "--trace-exits=" + f.path("missing/trace")}, "--trace-exits: cannot write " + f.path("missing/trace")},
        {{"run", "--boot", "linux", "--kernel", stub, "--initrd", guest, "--mem", "4M"}, "needs RAM up to"},
        {{}, "A subcommand is required"},
        {{"compare", "--probe", f.path("missing")}, "probe " + f.path("missing") + " not found"},
        {{"compare", "--probe", f.path("text")}, "is not an executable ELF program"},
        {{"compare", "--runs", "0"}, "--runs: Value 0 not in range 1 to 1000"},
        {{"compare", "--accel", "bogus"}, "--accel: 'bogus' is not an accelerator (choose auto, kvm or soft)"},
    };
}

std::vector<BadInput> box_cases() {
    const Fixtures& f = fixtures();
    std::string rootfs = box_rootfs();
    auto box = [&](std::vector<std::string> options) {
        std::vector<std::string> arguments = {"box", "run", "--rootfs", rootfs};
        arguments.insert(arguments.end(), options.begin(), options.end());
        arguments.insert(arguments.end(), {"--", "true"});
        return arguments;
    };
    return {
        {{"box", "run", "--bundle", f.path("bundle-no-config")}, "bundle-no-config/config.json: cannot be read"},
        {{"box", "run", "--bundle", f.path("bundle-bad-json")}, "bundle-bad-json/config.json: line 1"},
        {{"box", "run", "--bundle", f.path("bundle-no-rootfs")}, "bundle-no-rootfs/rootfs does not exist"},
        {{"box", "run", "--bundle", f.path("bundle-config-directory")},
         "bundle-config-directory/config.json: is not a regular file"},
        {{"box", "run", "--bundle", f.path("bundle-config-fifo")},
         "bundle-config-fifo/config.json: is not a regular file"},
        {{"box", "run", "--bundle", f.path("missing")}, "bundle " + f.path("missing") + " is not a directory"},
        {{"box", "run", "--bundle", f.path("text")}, "bundle " + f.path("text") + " is not a directory"},
        {{"box", "run", "--rootfs", f.path("text"), "--", "true"}, "rootfs " + f.path("text") + " is not a directory"},
        {{"box", "run", "--rootfs", f.path("missing"), "--", "true"},
         "rootfs " + f.path("missing") + " does not exist"},
        {{"box", "run", "--", "true"}, "needs --rootfs DIR or --bundle DIR"},
        {{"box", "run", "--rootfs", rootfs}, "no command given"},
        {box({"--memory", "0"}), "--memory: 0 is too small for a box (at least 4M)"},
        {box({"--memory", "abc"}), "--memory: 'abc' is not a size"},
        {box({"--memory", ""}), "--memory: '' is not a size"},
        {box({"--pids", "0"}), "--pids: '0' is not a number of processes from 1 to 4194304"},
        {box({"--pids", "99999999999"}), "--pids: '99999999999' is not a number of processes"},
        {box({"--pids", "many"}), "--pids: 'many' is not a number of processes"},
        {box({"--cpus", "0"}), "--cpus: 0 is not between 0.01 and the"},
        {box({"--cpus", "1000"}), "--cpus: 1000 is not between 0.01 and the"},
        {box({"--cpus", "half"}), "--cpus = half"},
        {box({"--env", "=x"}), "--env: '=x' is not KEY=VALUE"},
    };
}

}  // namespace

TEST_CASE("bad input: every malformed file or value given to glassvm run is status 2 and one line", "[bad-input]") {
    for (const BadInput& input : vm_cases()) check_refused(input);
}

TEST_CASE("bad input: every malformed bundle or value given to glassvm box run is status 2 and one line",
          "[bad-input][box]") {
    require_root();
    for (const BadInput& input : box_cases()) check_refused(input);
}
