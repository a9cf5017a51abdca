#include "CChecksum.h"

uint64_t openclaw_xxh3_baseline(const void *bytes, size_t length);
#if defined(__x86_64__) && defined(__clang__)
uint64_t openclaw_xxh3_avx2(const void *bytes, size_t length);
uint64_t openclaw_xxh3_avx512(const void *bytes, size_t length);
#endif

typedef uint64_t (*openclaw_xxh3_function)(const void *, size_t);

static openclaw_xxh3_function openclaw_xxh3_choose(void) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return openclaw_xxh3_avx512;
    if (__builtin_cpu_supports("avx2")) return openclaw_xxh3_avx2;
#endif
    return openclaw_xxh3_baseline;
}

uint64_t openclaw_xxh3(const void *bytes, size_t length) {
    // A benign race: every thread computes the same pointer.
    static openclaw_xxh3_function chosen = 0;
    openclaw_xxh3_function function = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!function) {
        function = openclaw_xxh3_choose();
        __atomic_store_n(&chosen, function, __ATOMIC_RELAXED);
    }
    return function(bytes, length);
}
