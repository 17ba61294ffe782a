// libFuzzer's entry point for programs that have their own main (LLVM ≥ 11).
// SwiftPM renames an executable's main to <Target>_main and points `main` at it, so libFuzzer's
// own main is never linked; each target's main.swift calls this instead.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *_Nonnull argc, char *_Nullable *_Nullable *_Nonnull argv,
                        int (*_Nonnull callback)(const uint8_t *_Nonnull data, size_t size));
