// XXH3 with AVX-512, compiled for AVX-512F whatever the target's baseline; called only where the
// processor has it.
#include <stdint.h>
#include <stddef.h>
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#pragma clang attribute push (__attribute__((target("avx512f"))), apply_to = function)
#define XXH_VECTOR XXH_AVX512
#define XXH_INLINE_ALL
#include <xxhash.h>
uint64_t openclaw_xxh3_avx512(const void *bytes, size_t length) {
    return XXH3_64bits(bytes, length);
}
#pragma clang attribute pop
#endif
