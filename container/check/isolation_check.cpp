// isolation-check: run inside a box, it reports what the kernel lets it do, one key=value per
// line, for the tests and for curious users (`glassvm box run --rootfs R -- /isolation-check
// syscalls`). A static host program (glibc), unlike the freestanding probe.
//
//   syscalls        each denied system call's result: "keyctl=EPERM" (or "ok", or another errno)
//   forkbomb        forks sleeping children until fork fails: "forked=N" "fork_error=EAGAIN"
//   alloc MIB       allocates and touches MIB MiB: "allocated=MIB" if it survives
//   spin MS         burns CPU for MS ms of wall time: "cpu_ms=N" "wall_ms=N"
#include <errno.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

const char* result_name(long rc, int error) {
    if (rc >= 0) return "ok";
    static char text[32];
    const char* name = strerrorname_np(error);
    snprintf(text, sizeof text, "%s", name ? name : "E?");
    return text;
}

void report(const char* name, long rc) { printf("%s=%s\n", name, result_name(rc, errno)); }

// Each call is made with arguments that would be harmless (or merely invalid) if allowed: the
// filter answers before the kernel looks at them.
int check_syscalls() {
    errno = 0;
    report("getpid", syscall(SYS_getpid));  // the control: allowed
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    report("add_key", syscall(SYS_add_key, "user", "glassvm", "x", 1, -3));
    report("request_key", syscall(SYS_request_key, "user", "glassvm", nullptr, 0));
    report("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, nullptr, 0));
    report("ptrace", syscall(SYS_ptrace, PTRACE_PEEKDATA, 1, nullptr, nullptr));
    report("perf_event_open", syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
    report("kexec_load", syscall(SYS_kexec_load, 0, 0, nullptr, 0));
    report("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0));
    report("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, nullptr));
    report("umount2", syscall(SYS_umount2, "/proc", MNT_DETACH));
    report("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
    report("setns", syscall(SYS_setns, -1, 0));
    report("clone_newuser",
           syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr) == 0 ? (_exit(0), 0) : -1);
    report("clock_settime", syscall(SYS_clock_settime, CLOCK_REALTIME, nullptr));
    report("swapon", syscall(SYS_swapon, "/nonexistent", 0));
    report("reboot", syscall(SYS_reboot, 0, 0, 0, nullptr));
    report("init_module", syscall(SYS_init_module, nullptr, 0, ""));
    report("userfaultfd", syscall(SYS_userfaultfd, 0));
    io_uring_params params{};
    long ring = syscall(SYS_io_uring_setup, 1, &params);
    report("io_uring_setup", ring);
    if (ring >= 0) close(static_cast<int>(ring));
    report("syslog", syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0));
    report("socket_vsock", socket(AF_VSOCK, SOCK_STREAM, 0));
    // personality: Docker's five values pass (controls), anything else is refused.
    report("personality_query", syscall(SYS_personality, 0xffffffffUL));
    report("personality_linux", syscall(SYS_personality, PER_LINUX));
    report("personality_no_aslr", syscall(SYS_personality, static_cast<unsigned long>(ADDR_NO_RANDOMIZE)));
    report("personality_high_bits",
           syscall(SYS_personality, 0x100000000UL | static_cast<unsigned long>(ADDR_NO_RANDOMIZE)));
    return 0;
}

int fork_bomb() {
    std::vector<pid_t> children;
    int error = 0;
    for (int i = 0; i < 100000; ++i) {
        pid_t pid = fork();
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid < 0) {
            error = errno;
            break;
        }
        children.push_back(pid);
    }
    printf("forked=%zu\nfork_error=%s\n", children.size(), error ? strerrorname_np(error) : "none");
    fflush(stdout);
    for (pid_t pid : children) kill(pid, SIGKILL);
    for (pid_t pid : children) waitpid(pid, nullptr, 0);
    return 0;
}

int allocate(long mebibytes) {
    size_t bytes = static_cast<size_t>(mebibytes) << 20;
    char* memory = static_cast<char*>(malloc(bytes));
    if (!memory) {
        printf("malloc_failed=%ld\n", mebibytes);
        return 1;
    }
    for (size_t i = 0; i < bytes; i += 4096) memory[i] = static_cast<char>(i);  // touch every page
    printf("allocated=%ld\n", mebibytes);
    return 0;
}

long milliseconds(clockid_t clock) {
    timespec now{};
    clock_gettime(clock, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1'000'000;
}

int spin(long wall_ms) {
    long start = milliseconds(CLOCK_MONOTONIC), cpu_start = milliseconds(CLOCK_PROCESS_CPUTIME_ID);
    volatile unsigned long counter = 0;
    while (milliseconds(CLOCK_MONOTONIC) - start < wall_ms) counter = counter + 1;
    printf("cpu_ms=%ld\nwall_ms=%ld\n", milliseconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start,
           milliseconds(CLOCK_MONOTONIC) - start);
    return 0;
}

int usage() {
    fprintf(stderr, "usage: isolation-check syscalls | forkbomb | alloc MIB | spin MS\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 2) return usage();
    std::string command = argv[1];
    if (command == "syscalls") return check_syscalls();
    if (command == "forkbomb") return fork_bomb();
    if (command == "alloc" && argc == 3) return allocate(atol(argv[2]));
    if (command == "spin" && argc == 3) return spin(atol(argv[2]));
    return usage();
}
