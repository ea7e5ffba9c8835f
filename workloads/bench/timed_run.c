/* timed_run: runs a program and reports its start-to-exit wall time and its own peak RSS.
 *
 *   timed_run RESULT_FD PROGRAM [ARGS...]
 *
 * fork, execvp, wait4; then writes "wall_ns=W maxrss_kib=R status=S" to file descriptor
 * RESULT_FD. The child's stdin, stdout and stderr are timed_run's.
 *
 * Why a separate, static program: Linux carries a process's peak RSS (ru_maxrss) across execve,
 * and a child forked from the benchmark's Python starts with Python's ~16 MiB of pages mapped, so
 * wait4 would report at least that for every program. A child forked from this small static
 * program starts from a few hundred KiB, so ru_maxrss is the program's own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: timed_run RESULT_FD PROGRAM [ARGS...]\n");
        return 2;
    }
    int result_fd = atoi(argv[1]);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("timed_run: fork");
        return 1;
    }
    if (pid == 0) {
        close(result_fd);
        execvp(argv[2], argv + 2);
        perror("timed_run: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0)
        if (errno != EINTR) {
            perror("timed_run: wait4");
            return 1;
        }
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long wall_ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    dprintf(result_fd, "wall_ns=%lld maxrss_kib=%ld status=%d\n", wall_ns, usage.ru_maxrss, code);
    return 0;
}
