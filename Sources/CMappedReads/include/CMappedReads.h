#ifndef CMAPPEDREADS_H
#define CMAPPEDREADS_H

#include <stddef.h>

/// Turns a failed read of a memory-mapped file — the file cut short or replaced in place by
/// another program, or a disk's read error, which the kernel reports as SIGBUS — into a message
/// on standard error and exit status 1, instead of a crash.
///
/// `genre_guard_mapped_reads` sets the message for any mapping (the first call's is kept: the
/// feature cache maps thousands of files under one message); `genre_guard_mapped_range` gives
/// one mapping a message of its own (a checkpoint naming its file), for up to 16 at a time,
/// until `genre_unguard_mapped_range` is called with the same start. Messages are copied (at
/// most 1023 bytes).
void genre_guard_mapped_reads(const char *message);
void genre_guard_mapped_range(const void *start, size_t length, const char *message);
void genre_unguard_mapped_range(const void *start);

#endif
