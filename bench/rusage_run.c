/* rusage_run: runs one command and prints what the kernel accounted to it.
 *
 *   rusage_run COMMAND [ARG...]
 *
 * prints one line on stdout:
 *   wall_ns=N user_us=N sys_us=N maxrss_kib=N status=N
 * from wait4() of the child: its own CPU time and peak resident set. The
 * child's stdout goes to /dev/null; its stderr is ours.
 *
 * bench/run times every tool through this small program rather than from
 * Python: the kernel carries a process's peak RSS across exec, so a child
 * forked from a 15 MiB Python would report at least 15 MiB whatever it ran;
 * started from this one it starts near 1 MiB. bench/run compiles it with cc.
 *
 * The child is started with posix_spawn (glibc: clone with CLONE_VM and
 * CLONE_VFORK, as hyperfine's and most shells' helpers do), not fork: a
 * forked child first copies this process's page tables and takes a
 * copy-on-write fault for each page it touches before exec, and on a virtual
 * machine that added ~1.3 ms to every command's CPU, `true` included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rusage_run COMMAND [ARG...]\n");
        return 2;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const long long start = nowNs();
    pid_t child = 0;
    const int failed = posix_spawnp(&child, argv[1], &actions, NULL, argv + 1, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) {
        fprintf(stderr, "rusage_run: %s: %s\n", argv[1], strerror(failed));
        return 2;
    }
    int status = 0;
    struct rusage usage;
    pid_t done;
    do {
        done = wait4(child, &status, 0, &usage);
    } while (done < 0 && errno == EINTR);
    if (done < 0) {
        perror("rusage_run: wait4");
        return 2;
    }
    const long long wall = nowNs() - start;
    printf("wall_ns=%lld user_us=%lld sys_us=%lld maxrss_kib=%ld status=%d\n", wall,
           (long long)usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
           (long long)usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec, usage.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
