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
 * forked from this one it starts near 1 MiB. bench/run compiles it with cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
    const long long start = nowNs();
    const pid_t child = fork();
    if (child < 0) {
        perror("rusage_run: fork");
        return 2;
    }
    if (child == 0) {
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO);
        execvp(argv[1], argv + 1);
        perror("rusage_run: exec");
        _exit(127);
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
