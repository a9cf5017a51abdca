#ifndef OPENCLAW_CCHECKSUM_H
#define OPENCLAW_CCHECKSUM_H
#include <stddef.h>
#include <stdint.h>

/// XXH3-64 (seed 0) of `length` bytes at `bytes`: xxHash's own implementation (Debian's
/// libxxhash-dev header, compiled inline), with AVX-512 or AVX2 where the processor has it (chosen once, at
/// the first call) and SSE2 or NEON otherwise. Every variant gives the same value.
uint64_t openclaw_xxh3(const void *bytes, size_t length);
#endif
