"""What the benchmarks under scripts/bench/ share: the machine line, running a child pinned to a
CPU and timing it (wait4 for its peak RSS), medians, CSV, tables, gnuplot, and the peers'
command lines. Not a benchmark itself; each bench imports it from its own directory."""
import argparse
import csv
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def arguments(description, runs):
    """The options every bench takes (the pattern of exit-stats-overhead)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=runs, help="measured rounds (medians over them)")
    parser.add_argument("--quick", action="store_true", help="a smoke test of a few seconds, not a measurement")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--results-dir", default=os.path.join(ROOT, "bench-results"))
    parser.add_argument("--cpu", type=int, default=0, help="host CPU every run is pinned to")
    return parser


# ── the machine ───────────────────────────────────────────────────────────────────────────────

def machine():
    """One line: CPU model, CPUs, kernel, and whether /dev/kvm is nested (CPUID hypervisor bit)."""
    model, nested = "?", False
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and model == "?":
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and " hypervisor" in line:
            nested = True
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    text = f"{model}, {os.cpu_count()} CPUs, {memory_gib:.0f} GiB, Linux {platform.release()}"
    if nested:
        text += (" -- itself a VM (CPUID hypervisor bit): /dev/kvm is nested, guest ring-0 code is emulated"
                 " (~1 us/instruction) and every exit costs several us; see docs/BENCHMARKS.md")
    return text


def require_kvm():
    """Every bench boots VMs and needs a usable /dev/kvm. Without one the run ends as skipped (status 77,
    ctest's SKIP_RETURN_CODE for the `kvm` label), saying why: scripts/kvm-lab gives any machine a KVM."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
    except OSError as error:
        print(f"SKIPPED: /dev/kvm cannot be opened here ({error.strerror}); this benchmark boots VMs "
              "(scripts/kvm-lab runs it on a standard KVM)", flush=True)
        raise SystemExit(77)


# ── running things ────────────────────────────────────────────────────────────────────────────

class Sample:
    def __init__(self, wall_ms, peak_rss_kib, status, out, err):
        self.wall_ms, self.peak_rss_kib, self.status, self.out, self.err = wall_ms, peak_rss_kib, status, out, err


def pin(cpu):
    """Pins this process, and so every child it starts, to one host CPU: on our nested machines the
    same exit costs ~5.5 us on one vCPU and ~7.7 us on the other, and which is which changes."""
    os.sched_setaffinity(0, {cpu})


def use_build(build_dir):
    """Where run() finds timed_run (workloads/bench/timed_run.c: why it exists)."""
    global TIMED_RUN
    TIMED_RUN = os.path.join(build_dir, "workloads", "bench", "timed_run")
    if not os.access(TIMED_RUN, os.X_OK):
        raise SystemExit(f"{TIMED_RUN} is missing: build glassvm first (cmake --build {build_dir})")


TIMED_RUN = None


def run(argv, timeout=120, env=None):
    """Start → wait4 of one child, through timed_run: wall milliseconds, its own peak RSS
    (ru_maxrss, KiB), exit status, output. Output goes to temporary files, so a chatty child
    never blocks on a full pipe; on timeout the whole process group is killed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        read_end, write_end = os.pipe()
        child = subprocess.Popen([TIMED_RUN, str(write_end), *argv], stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, env=env, pass_fds=(write_end,), start_new_session=True)
        os.close(write_end)
        watchdog = threading.Timer(timeout, lambda: os.killpg(child.pid, signal.SIGKILL))
        watchdog.start()
        report = os.read(read_end, 256).decode()
        child.wait()
        watchdog.cancel()
        os.close(read_end)
        out.seek(0)
        err.seek(0)
        fields = dict(item.split("=") for item in report.split())
        if not fields:
            fields = {"wall_ns": "nan", "maxrss_kib": "0", "status": "137"}  # killed by the watchdog
        return Sample(float(fields["wall_ns"]) / 1e6, int(fields["maxrss_kib"]), int(fields["status"]),
                      out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def smaps(pid):
    """Every mapping of a live process as {"name", "Size", "Rss", "Pss"} (KiB); [] once it is gone."""
    try:
        text = open(f"/proc/{pid}/smaps").read()
    except OSError:
        return []
    mappings, current = [], None
    for line in text.splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split(None, 5)
            current = {"name": parts[5] if len(parts) > 5 else "", "Size": 0, "Rss": 0, "Pss": 0}
            mappings.append(current)
        elif current is not None:
            key, _, value = line.partition(":")
            if key in ("Size", "Rss", "Pss"):
                current[key] = int(value.split()[0])
    return mappings


def installed(program):
    return shutil.which(program) is not None


# ── numbers ───────────────────────────────────────────────────────────────────────────────────

def median(values):
    return statistics.median(values) if values else float("nan")


def paired_ratio(numerators, denominators):
    """The median of per-round ratios: each round's runs are neighbours in time."""
    return median([n / d for n, d in zip(numerators, denominators) if d])


# ── output ────────────────────────────────────────────────────────────────────────────────────

def table(header, rows):
    """Plain-text table, columns padded to their widest cell."""
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def gnuplot(script, png):
    """Draws png with gnuplot (Debian's gnuplot-nox); says so and returns False when absent."""
    if not installed("gnuplot"):
        print(f"(no plot: gnuplot is not installed; scripts/setup installs gnuplot-nox)")
        return False
    full = f"set terminal pngcairo size 1000,560 noenhanced font 'sans,10'\nset output '{png}'\n" + script
    result = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True)
    if result.returncode != 0:
        full = full.replace("pngcairo", "png", 1)  # gnuplot built without cairo
        result = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True)
    if result.returncode != 0:
        print(f"(no plot: gnuplot failed: {result.stderr.strip()[:200]})")
        return False
    print(f"plot: {png}")
    return True


def write_summary(results_dir, name, text):
    """The bench's printed output, kept for scripts/bench/all's REPORT.md."""
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, f"{name}.txt"), "w") as out:
        out.write(text)


# ── the peers' command lines (as app/compare_command.cpp runs them) ───────────────────────

# -arch-capabilities: QEMU 7.2 writes IA32_ARCH_CAPABILITIES whenever KVM reports its CPUID bit;
# nested KVM on AMD hosts reports the bit and refuses the write, and QEMU aborts (docs/KVM-LAB.md).
QEMU_MICROVM = ["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=off", "-enable-kvm", "-cpu",
                "host,-arch-capabilities",
                "-m", "64M", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


class Scratch:
    """A temporary rootfs holding only the (static) probe, and a `runc spec` bundle around it."""

    def __init__(self, probe):
        self.directory = tempfile.mkdtemp(prefix="glassvm-bench-")
        os.chmod(self.directory, 0o755)
        self.rootfs = os.path.join(self.directory, "rootfs")
        self.bundle = os.path.join(self.directory, "bundle")
        for sub in ("proc", "dev", "sys", "tmp"):
            os.makedirs(os.path.join(self.rootfs, sub))
        os.makedirs(self.bundle)
        shutil.copy(probe, os.path.join(self.rootfs, "probe"))
        os.chmod(os.path.join(self.rootfs, "probe"), 0o755)
        self.container_id = 0

    def runc_bundle(self, args):
        """Writes config.json for `runc run` of args; returns why not ("" when ready)."""
        import json
        result = subprocess.run(["runc", "spec", "--bundle", self.bundle], capture_output=True, text=True)
        if result.returncode != 0:
            return "runc spec failed: " + result.stderr.strip()
        path = os.path.join(self.bundle, "config.json")
        config = json.load(open(path))
        config["process"]["args"] = args
        config["process"]["terminal"] = False
        config["root"]["path"] = self.rootfs
        json.dump(config, open(path, "w"), indent=1)
        return ""

    def next_container_name(self):
        self.container_id += 1
        return f"glassvm-bench-{os.getpid()}-{self.container_id}"

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
