/// For the commands that read files and answer (features, predict, eval, tag): they allocate and
/// free the same large buffers again and again (decoded blocks, each batch's activations), and
/// glibc gives blocks over 128 kB back to the kernel when they are freed (munmap, heap trimming),
/// so each reuse faults in fresh zeroed pages. These processes are short and their peak is small:
/// keep freed memory for reuse instead. Training keeps its own buffer pool and its memory bar, so
/// it is left to glibc's defaults.
enum MemoryReuse {
    static func keepFreedMemory() {
        _ = mallopt(mmapThreshold, 32 << 20)  // glibc's largest; bigger blocks are still mapped
        _ = mallopt(trimThreshold, Int32.max)
    }

    // <malloc.h>, which Swift's Glibc module does not include.
    private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
}

@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
