/// libsndfile's decoding, continued by FFmpeg where libsndfile gives up part-way: a FLAC frame
/// damaged by bit rot ("flac decoder lost sync") or a FLAC file cut off. FFmpeg decodes the file
/// again from its start, drops the frames libsndfile already gave (the same samples: both
/// decode lossless formats exactly and scale integers alike) and goes on, skipping damage as
/// players do, or naming what is wrong ("truncated: the header announces 20.00 s …").
final class ResumingDecoder: AudioDecoder {
    private let first: SoundFile
    private let reopen: () throws -> FFmpegDecoder
    private var second: FFmpegDecoder?
    private var delivered = 0

    init(_ first: SoundFile, reopen: @escaping () throws -> FFmpegDecoder) {
        (self.first, self.reopen) = (first, reopen)
    }

    var path: String { first.path }
    var sampleRate: Int { first.sampleRate }
    var channels: Int { first.channels }
    var frames: Int { first.frames }
    var formatDescription: String { first.formatDescription }

    func read(into buffer: UnsafeMutablePointer<Float>, maxFrames: Int) throws -> Int {
        if let second { return try second.read(into: buffer, maxFrames: maxFrames) }
        do {
            let n = try first.read(into: buffer, maxFrames: maxFrames)
            delivered += n
            return n
        } catch let error as AudioError where error.problem.hasPrefix(SoundFile.decodingFailed) {
            guard let decoder = try? reopen(), decoder.sampleRate == sampleRate, decoder.channels == channels else { throw error }
            second = decoder
            var skipped = 0
            while skipped < delivered {
                let n = try decoder.read(into: buffer, maxFrames: min(maxFrames, delivered - skipped))
                guard n > 0 else { return 0 }
                skipped += n
            }
            return try decoder.read(into: buffer, maxFrames: maxFrames)
        }
    }
}
