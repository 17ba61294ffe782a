#ifndef CPREFETCH_H
#define CPREFETCH_H

/// A hint that the cache line holding `address` will be read soon, fetched into the
/// second-level cache (prefetcht2: the rows fetched ahead are a block's worth, more than the
/// first-level cache holds besides the block in use). Swift has no prefetch of its own; this
/// header-only function is inlined into the Swift that calls it.
static inline __attribute__((always_inline)) void genre_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 1);
}

/// A hint that the line holding `address` will be written soon: `prefetchw` asks for it in
/// the exclusive state ahead of the stores (EngineAVX512's target has the instruction; code
/// compiled for a target without it gets a read prefetch).
static inline __attribute__((always_inline, target("prfchw"))) void genre_prefetch_write(void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
