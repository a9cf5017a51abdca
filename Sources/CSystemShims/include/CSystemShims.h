#ifndef OPENCLAW_C_SYSTEM_SHIMS_H
#define OPENCLAW_C_SYSTEM_SHIMS_H
#include <sys/vfs.h>
#include <sys/statvfs.h>
#include "ThreadPriority.h"
#include "TiedProcess.h"
#include "RandomBytes.h"

/// The filesystem magic number (statfs f_type) of the filesystem holding `path`, or -1 on error.
static inline long long openclaw_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)(unsigned long)info.f_type;
}

/// The bytes that can surely still be allocated on the filesystem holding `path`, or -1 on
/// error. f_bavail, even for root: ext4 counts in f_bfree clusters it keeps for itself (up to
/// 2% of the filesystem) that no process, root included, may use for data.
static inline long long openclaw_available_bytes(const char *path) {
    struct statvfs info;
    if (statvfs(path, &info) != 0) return -1;
    return (long long)(info.f_bavail * info.f_frsize);
}

/// The size of the filesystem holding `path`, in bytes, or -1 on error.
static inline long long openclaw_filesystem_bytes(const char *path) {
    struct statvfs info;
    if (statvfs(path, &info) != 0) return -1;
    return (long long)(info.f_blocks * info.f_frsize);
}
#endif
