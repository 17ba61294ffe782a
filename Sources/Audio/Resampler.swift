internal import CLoadedLibraries

/// Streaming mono resampler on libsoxr at its "HQ" recipe, as librosa's default `soxr_hq`.
/// The soxr handle is freed in `deinit`.
final class Resampler {
    let inputRate: Int
    let outputRate: Int
    private let handle: soxr_t

    init(from inputRate: Int, to outputRate: Int) throws {
        guard genre_soxr_load() == 0 else { throw AudioError(path: "soxr", problem: String(cString: genre_soxr_load_error())) }
        var error: soxr_error_t? = nil
        var io = genre_soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = genre_soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let handle = genre_soxr_create(Double(inputRate), Double(outputRate), 1, &error, &io, &quality, nil), error == nil else {
            throw AudioError(path: "soxr", problem: "cannot resample \(inputRate) Hz to \(outputRate) Hz")
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.handle = handle
    }

    deinit { genre_soxr_delete(handle) }

    /// Feeds `input` (or, when nil, flushes the tail) and appends what soxr produces to `output`.
    func process(_ input: UnsafeBufferPointer<Float>?, into output: inout [Float]) {
        let inCount = input?.count ?? 0
        // soxr may hold samples back; ask for a generous chunk and loop until it has nothing more.
        let chunk = max(4096, Int((Double(inCount) * Double(outputRate) / Double(inputRate)).rounded(.up)) + 64)
        var consumed = 0
        var scratch = [Float](repeating: 0, count: chunk)
        while true {
            var used = 0
            var done = 0
            scratch.withUnsafeMutableBufferPointer { out in
                if let input {
                    _ = genre_soxr_process(handle, input.baseAddress! + consumed, inCount - consumed, &used, out.baseAddress, chunk, &done)
                } else {
                    _ = genre_soxr_process(handle, nil, 0, nil, out.baseAddress, chunk, &done)
                }
            }
            consumed += used
            output.append(contentsOf: scratch[0..<done])
            if input != nil ? (consumed >= inCount && done < chunk) : done == 0 { break }
        }
    }
}
