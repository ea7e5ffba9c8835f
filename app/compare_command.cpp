// `glassvm compare`: spawn each peer running the probe, time it, read what it printed, and
// put it all side by side. Every number comes from a real run on this machine; a peer that
// is not installed is listed as absent, never estimated.
#include "app/compare_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/compare_report.hpp"
#include "app/run_command.hpp"
#include "base/error.hpp"
#include "base/subprocess.hpp"

namespace glassvm {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The value of a "key=value" line of the probe's output, or "".
std::string probe_value(const std::string& text, const std::string& key) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
    return {};
}

// ── the peers ─────────────────────────────────────────────────────────────────────────────

struct Peer {
    Peer(std::string name_, std::string isolation_, std::vector<std::string> argv_, int success_status_ = 0)
            : name(std::move(name_)),
              isolation(std::move(isolation_)),
              argv(std::move(argv_)),
              success_status(success_status_) {}

    std::string name;
    std::string isolation;
    std::vector<std::string> argv;
    int success_status = 0;
    std::string absent;                          // why it is not run ("" = it is)
    std::string absent_status = "absent";        // its row's status then: "absent", or "unavailable"
    std::vector<std::string> syscall_run_extra;  // appended to argv for the syscall runs only
    std::vector<ProgramResult> short_runs;       // the probe with kShortCalls calls: start→exit and memory
    std::vector<ProgramResult> syscall_runs;     // the probe with --calls calls: the cost of getppid
};

// "@CALLS@" in a peer's argv stands for the probe's argument.
constexpr std::string_view kCalls = "@CALLS@";
// The fewest calls the probe makes: start→exit then measures starting and stopping, not a
// thousand system calls (which cost ~60 µs each in the glassvm VM on nested KVM).
constexpr int kShortCalls = 10;

std::vector<std::string> with_calls(std::vector<std::string> argv, int calls) {
    for (std::string& arg : argv)
        if (size_t at = arg.find(kCalls); at != std::string::npos)
            arg.replace(at, kCalls.size(), std::to_string(calls));
    return argv;
}

// A scratch directory: a rootfs holding only the probe (it is static and needs no libc), and
// a `runc spec` bundle around it. Removed when compare ends.
class Scratch {
public:
    explicit Scratch(const fs::path& probe) {
        std::string pattern = (fs::temp_directory_path() / "glassvm-compare-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw Error::from_errno(fmt::format("mkdtemp {}", pattern), errno);
        m_directory = pattern;
        for (const char* directory : {"rootfs/proc", "rootfs/dev", "rootfs/sys", "rootfs/tmp", "bundle"})
            fs::create_directories(m_directory / directory);
        fs::copy_file(probe, rootfs() / "probe");
        fs::permissions(rootfs() / "probe", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                                fs::perms::others_read | fs::perms::others_exec);
        fs::permissions(m_directory, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                         fs::perms::others_read | fs::perms::others_exec);
    }
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(m_directory, ignored);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    fs::path rootfs() const { return m_directory / "rootfs"; }
    fs::path bundle() const { return m_directory / "bundle"; }

private:
    fs::path m_directory;
};

// `runc spec`, with the probe as the process and no terminal (none to give under compare).
std::string make_runc_bundle(const Scratch& scratch) {
    ProgramResult spec = run_program({"runc", "spec", "--bundle", scratch.bundle().string()}, std::chrono::seconds(10));
    if (spec.status != 0) return "runc spec failed: " + spec.err;
    json config = json::parse(std::ifstream(scratch.bundle() / "config.json"));
    config["process"]["args"] = {"/probe", "10"};  // measure() writes the count it needs
    config["process"]["terminal"] = false;
    config["root"]["path"] = scratch.rootfs().string();
    std::ofstream(scratch.bundle() / "config.json") << config.dump(1);
    return {};
}

// A glassvm VM row on one backend: run as `glassvm run --accel kvm|soft`, measured as every
// other row. Not run when --accel chose the other backend, nor when this one does not open
// here (found out by opening it, as glassvm run would): the row then says why.
Peer glassvm_vm_peer(std::string name, std::string isolation, AcceleratorChoice backend,
                     const AcceleratorStatus& status, AcceleratorChoice asked, const fs::path& glassvm,
                     const fs::path& probe) {
    Peer vm{std::move(name),
            std::move(isolation),
            {glassvm.string(), "run", "--accel", std::string(to_string(backend)), "--init", probe.string(), "--cmdline",
             "-- " + std::string(kCalls)}};
    // The syscall runs also report glassvm's exit statistics (on stderr), for the cost of one
    // exit to the VMM; the short runs that time start→exit stay unobserved.
    vm.syscall_run_extra = {"--exit-stats", "--json"};
    if (asked != AcceleratorChoice::Auto && asked != backend) {
        vm.absent = fmt::format("not asked for (--accel {})", to_string(asked));
    } else if (!status.usable) {
        vm.absent = status.detail;
        vm.absent_status = "unavailable";
    }
    return vm;
}

std::vector<Peer> make_peers(const fs::path& probe, const Scratch& scratch, AcceleratorChoice accel) {
    fs::path glassvm = own_executable();
    fs::path kernel = find_bundled_guest();
    std::string calls(kCalls);
    bool root = ::geteuid() == 0;
    std::vector<Peer> peers;
    peers.emplace_back("host process", "nothing: an ordinary process", std::vector<std::string>{probe.string(), calls});
    Peer box{"glassvm box",
             "namespaces + cgroups + seccomp, shared kernel (container/)",
             {glassvm.string(), "box", "run", "--rootfs", scratch.rootfs().string(), "--", "/probe", calls}};
    if (!root) box.argv.insert(box.argv.begin() + 3, "--user");  // rootless
    peers.push_back(box);
    AcceleratorReport backends = probe_accelerators();
    peers.push_back(glassvm_vm_peer("glassvm VM", "KVM hypervisor + the guest's own kernel (guest/)",
                                    AcceleratorChoice::Kvm, backends.kvm, accel, glassvm, probe));
    peers.push_back(glassvm_vm_peer("glassvm VM (soft CPU)",
                                    "glassvm's software CPU (vmm/soft/) + the guest's own kernel (guest/)",
                                    AcceleratorChoice::Soft, backends.soft, accel, glassvm, probe));

    Peer runc{"runc",
              "namespaces + cgroups, shared kernel (runc)",
              {"runc", "run", "--bundle", scratch.bundle().string(), ""}};
    if (!installed("runc"))
        runc.absent = "not installed";
    else if (!root)
        runc.absent = "needs root";
    else
        runc.absent = make_runc_bundle(scratch);
    peers.push_back(runc);

    Peer bwrap{"bubblewrap",
               "namespaces, no cgroups, shared kernel (bwrap)",
               {"bwrap", "--unshare-all", "--die-with-parent", "--hostname", "bwrap", "--ro-bind",
                scratch.rootfs().string(), "/", "--proc", "/proc", "--dev", "/dev", "/probe", calls}};
    if (!installed("bwrap")) bwrap.absent = "not installed";
    peers.push_back(bwrap);

    Peer qemu{"QEMU microvm",
              "KVM hypervisor (QEMU) + the guest's own kernel",
              {"qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=off", "-enable-kvm", "-cpu",
               // Not the MSR QEMU cannot set on nested AMD hosts (docs/KVM-LAB.md, "QEMU on nested KVM").
               "host,-arch-capabilities", "-m", "64M", "-nodefaults", "-no-user-config", "-nographic", "-serial",
               "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", kernel.string(), "-initrd",
               probe.string(), "-append", "-- " + calls},
              1};  // isa-debug-exit turns the guest's status S into (S << 1) | 1
    if (!installed("qemu-system-x86_64")) qemu.absent = "not installed";
    peers.push_back(qemu);
    return peers;
}

// Sets the probe's call count in the runc bundle (runc takes its args from config.json).
void set_runc_calls(const Scratch& scratch, int calls) {
    json config = json::parse(std::ifstream(scratch.bundle() / "config.json"));
    config["process"]["args"] = {"/probe", std::to_string(calls)};
    std::ofstream(scratch.bundle() / "config.json") << config.dump(1);
}

// Runs every present peer once as a warm-up, then `runs` rounds; in each round every peer
// runs twice (a short run, then a syscall run). Interleaved, so a slow moment of the machine
// does not land on one peer only.
void measure(std::vector<Peer>& peers, const Scratch& scratch, int runs, int calls) {
    int container_id = 0;
    for (int round = -1; round < runs; ++round) {
        for (Peer& peer : peers) {
            if (!peer.absent.empty()) continue;
            for (bool syscall_run : {false, true}) {
                int count = syscall_run ? calls : kShortCalls;
                std::vector<std::string> argv = with_calls(peer.argv, count);
                if (syscall_run) argv.insert(argv.end(), peer.syscall_run_extra.begin(), peer.syscall_run_extra.end());
                if (peer.name == "runc") {
                    set_runc_calls(scratch, count);
                    argv.back() = fmt::format("glassvm-compare-{}-{}", ::getpid(), container_id++);
                }
                ProgramResult sample = run_program(argv, std::chrono::seconds(60));
                if (round < 0) break;  // the warm-up: one short run
                (syscall_run ? peer.syscall_runs : peer.short_runs).push_back(std::move(sample));
            }
        }
    }
}

// ── summarising ───────────────────────────────────────────────────────────────────────────

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// The median round trip of the VM's port-I/O exits, from `--exit-stats --json` on stderr; null
// when the peer did not report statistics.
json vm_exit_ns(const Peer& peer) {
    if (peer.syscall_run_extra.empty()) return nullptr;
    std::vector<double> round_trips;
    for (const ProgramResult& s : peer.syscall_runs) {
        size_t start = s.err.find('{');
        if (start == std::string::npos) continue;
        json stats = json::parse(s.err.substr(start), nullptr, false);
        if (stats.is_discarded()) continue;
        for (const json& row : stats["by_reason"])
            if (row["reason"] == "IO") round_trips.push_back(row["round_trip_p50_ns"].get<double>());
    }
    if (round_trips.empty()) return nullptr;
    return {{"median", median(round_trips)}, {"samples", round_trips}, {"what", "p50 round trip of a port-I/O exit"}};
}

json summarise(const Peer& peer, const HostMachine& machine) {
    json row = {{"name", peer.name}, {"isolation", peer.isolation}, {"command", peer.argv}};
    if (!peer.absent.empty()) {
        row["status"] = peer.absent_status;
        row["reason"] = peer.absent;
        return row;
    }
    std::vector<ProgramResult> all = peer.short_runs;
    all.insert(all.end(), peer.syscall_runs.begin(), peer.syscall_runs.end());
    auto failed = std::find_if(all.begin(), all.end(), [&](const ProgramResult& s) {
        return s.status != peer.success_status || probe_value(s.out, "sysname").empty();
    });
    if (failed != all.end()) {
        row["status"] = "failed";
        row["reason"] =
            fmt::format("exit status {}: {}", failed->status, failed->err.substr(0, failed->err.find('\n')));
        return row;
    }
    std::vector<double> wall, rss, getppid;
    std::string getppid_text;  // what the probe said when it could not time (e.g. "unavailable": no clock)
    for (const ProgramResult& s : peer.short_runs) {
        wall.push_back(s.wall_ms);
        rss.push_back(static_cast<double>(s.peak_rss_kib));
    }
    for (const ProgramResult& s : peer.syscall_runs) {
        std::string value = probe_value(s.out, "getppid_ns");
        if (!value.empty() && std::isdigit(static_cast<unsigned char>(value[0])))
            getppid.push_back(std::stod(value));
        else
            getppid_text = value.empty() ? "missing" : value;
    }
    const ProgramResult& first = peer.short_runs.front();
    std::string kernel = fmt::format("{} {}", probe_value(first.out, "sysname"), probe_value(first.out, "release"));
    row["status"] = "ok";
    row["sysname"] = probe_value(first.out, "sysname");
    row["release"] = probe_value(first.out, "release");
    row["kernel"] = kernel == machine.kernel ? "host" : "own";
    row["pid"] = std::stoi(probe_value(first.out, "pid"));
    row["hostname"] = probe_value(first.out, "nodename");
    row["latency_ms"] = {{"median", median(wall)}, {"samples", wall}};
    row["peak_rss_kib"] = {{"median", median(rss)}, {"samples", rss}};
    if (getppid_text.empty())
        row["getppid_ns"] = {{"median", median(getppid)}, {"samples", getppid}};
    else
        row["getppid_ns"] = {{"median", nullptr}, {"probe_said", getppid_text}};
    row["vm_exit_ns"] = vm_exit_ns(peer);
    return row;
}

// Checked before anything is measured: a wrong --probe would otherwise fail in every peer.
bool is_elf_executable(const fs::path& path) {
    if (::access(path.c_str(), X_OK) != 0) return false;
    std::ifstream file(path, std::ios::binary);
    char magic[4] = {};
    file.read(magic, sizeof magic);
    return file && std::string_view(magic, sizeof magic) ==
                       "\x7f"
                       "ELF";
}

}  // namespace

CLI::App* add_compare_command(CLI::App& app, CompareOptions& options) {
    CLI::App* compare = app.add_subcommand(
        "compare",
        "Run the probe on the host, in a glassvm box, in a glassvm VM and in installed peers; print one table");
    compare->add_option("--runs", options.runs, "Measured runs per peer (median; after one warm-up)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    compare->add_option("--calls", options.calls, "getppid calls the probe times")
        ->check(CLI::Range(10, 10240))
        ->capture_default_str();
    compare->add_flag("--json", options.json, "Print JSON (every row, with all samples) instead of the table");
    compare->add_option("--plot", options.plot, "Also draw latency and memory bars into FILE.png (gnuplot)");
    compare->add_option("--probe", options.probe, "The probe binary (default: workloads/probe next to glassvm)");
    add_accel_option(*compare, options.accel);
    return compare;
}

int execute_compare(const CompareOptions& options) {
    fs::path probe =
        options.probe.empty() ? own_executable().parent_path() / "workloads" / "probe" : fs::path(options.probe);
    if (!fs::is_regular_file(probe))
        throw_bad_input("probe {} not found (build glassvm, or pass --probe)", probe.string());
    if (!is_elf_executable(probe))
        throw_bad_input("probe {} is not an executable ELF program (the probe runs as the VM's init and in the boxes)",
                        probe.string());
    if (!options.plot.empty() && !installed("gnuplot")) throw_bad_input("--plot needs gnuplot (Debian's gnuplot-nox)");
    if (!options.plot.empty() && !fs::is_directory(fs::absolute(options.plot).parent_path()))
        throw_bad_input("--plot: the directory of {} does not exist", options.plot);
    AcceleratorChoice accel = resolve_accelerator_choice(options.accel);
    probe = fs::absolute(probe);
    Scratch scratch(probe);
    std::vector<Peer> peers = make_peers(probe, scratch, accel);
    measure(peers, scratch, options.runs, options.calls);

    HostMachine machine = describe_machine();
    json rows = json::array();
    for (const Peer& peer : peers) rows.push_back(summarise(peer, machine));
    std::string caption_text = caption(machine, options.runs, kShortCalls, options.calls);
    if (options.json) {
        json document = {
            {"machine", {{"cpu", machine.cpu}, {"kernel", machine.kernel}, {"nested_virtualization", machine.nested}}},
            {"runs", options.runs},
            {"calls", options.calls},
            {"caption", caption_text},
            {"rows", rows}};
        fmt::print("{}\n", document.dump(2));
    } else {
        print_table(rows, caption_text);
    }
    if (!options.plot.empty()) draw_plot(rows, caption_text, options.plot);
    bool any_failed = std::any_of(rows.begin(), rows.end(), [](const json& row) { return row["status"] == "failed"; });
    return any_failed ? 1 : 0;
}

}  // namespace glassvm
