#ifndef OPENCLAW_THREAD_PRIORITY_H
#define OPENCLAW_THREAD_PRIORITY_H
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/// Lowers the calling thread's scheduling priority to nice `value` (Linux nice values are per
/// thread). Returns 0, or -1 with errno set.
static inline int openclaw_set_thread_nice(int value) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), value);
}
#endif
