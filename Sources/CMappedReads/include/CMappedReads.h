#ifndef CMAPPEDREADS_H
#define CMAPPEDREADS_H

/// Turns a failed read of a memory-mapped file — the file cut short or replaced in place by
/// another program, or a disk's read error, which the kernel reports as SIGBUS — into `message`
/// on standard error and exit status 1, instead of a crash. The first call installs the
/// handler with its message (copied, at most 1023 bytes); later calls change nothing.
void genre_guard_mapped_reads(const char *message);

#endif
