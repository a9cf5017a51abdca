#ifndef OPENCLAW_CXXHASH_SHIM_H
#define OPENCLAW_CXXHASH_SHIM_H
// xxHash (Debian's libxxhash-dev): XXH3-64 checksums of stored chunks.
#include <xxhash.h>
#endif
