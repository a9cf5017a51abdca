#ifndef OPENCLAW_C_SYSTEM_SHIMS_H
#define OPENCLAW_C_SYSTEM_SHIMS_H
#include <sys/vfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

/// The filesystem magic number (statfs f_type) of the filesystem holding `path`, or -1 on error.
static inline long long openclaw_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)(unsigned long)info.f_type;
}

/// The bytes this process may still allocate on the filesystem holding `path` (root may use the
/// blocks reserved for it), or -1 on error.
static inline long long openclaw_available_bytes(const char *path) {
    struct statvfs info;
    if (statvfs(path, &info) != 0) return -1;
    unsigned long long blocks = geteuid() == 0 ? info.f_bfree : info.f_bavail;
    return (long long)(blocks * info.f_frsize);
}

/// The size of the filesystem holding `path`, in bytes, or -1 on error.
static inline long long openclaw_filesystem_bytes(const char *path) {
    struct statvfs info;
    if (statvfs(path, &info) != 0) return -1;
    return (long long)(info.f_blocks * info.f_frsize);
}
#endif
