#ifndef OPENCLAW_C_SYSTEM_SHIMS_H
#define OPENCLAW_C_SYSTEM_SHIMS_H
#include <sys/vfs.h>

/// The filesystem magic number (statfs f_type) of the filesystem holding `path`, or -1 on error.
static inline long long openclaw_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)(unsigned long)info.f_type;
}
#endif
