#ifndef CPREFETCH_H
#define CPREFETCH_H

/// A hint that the cache line holding `address` will be read soon (prefetcht0). Swift has no
/// prefetch of its own; this header-only function is inlined into the Swift that calls it.
static inline __attribute__((always_inline)) void genre_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
