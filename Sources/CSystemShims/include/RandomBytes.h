#ifndef OPENCLAW_RANDOM_BYTES_H
#define OPENCLAW_RANDOM_BYTES_H

#include <sys/random.h>
#include <sys/types.h>

/// Fills `count` bytes from the kernel's random generator in one `getrandom(2)` call; returns
/// the bytes filled, or -1 with errno set.
static inline ssize_t openclaw_random_bytes(void *buffer, size_t count) {
    return getrandom(buffer, count, 0);
}

#endif
