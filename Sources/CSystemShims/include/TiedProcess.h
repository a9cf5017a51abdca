#ifndef OPENCLAW_TIED_PROCESS_H
#define OPENCLAW_TIED_PROCESS_H
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>

/// Starts `path` with `argv` and `envp` as a child tied to the calling thread: the kernel sends it
/// `death_signal` when that thread (and so the process) dies, even by SIGKILL (PR_SET_PDEATHSIG).
/// Its standard input is /dev/null, its standard output and error are `output_fd`; no other
/// descriptor is inherited. Returns the child's pid, or -1 with errno set.
///
/// The child only calls async-signal-safe functions between fork and exec. The calling thread
/// must outlive the child (the death signal follows the thread, not the process).
static inline pid_t openclaw_spawn_tied(const char *path, char *const argv[], char *const envp[], int output_fd, int death_signal) {
    pid_t parent = getpid();
    pid_t child = fork();
    if (child != 0) return child;
    if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) _exit(126);
    // The parent may have died between fork and prctl.
    if (getppid() != parent) _exit(126);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0) _exit(126);
    if (dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) _exit(126);
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
        for (int fd = 3; fd < 4096; fd++) close(fd);
    }
    // A new process group: a terminal's Ctrl-C reaches the gateway, which stops the child itself.
    setpgid(0, 0);
    execve(path, argv, envp);
    _exit(127);
}
#endif
