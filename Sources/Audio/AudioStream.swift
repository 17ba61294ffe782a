/// Reads a file block by block as mono float samples at a chosen rate, so files of any length
/// are processed in bounded memory. Any format goes through the same path: libsndfile or FFmpeg
/// decodes (`AudioDecoders.open`), then the mix-down and the resampler are shared. Channels are averaged, then resampled with soxr HQ; the
/// total length is ceil(n · target / source) as librosa keeps it.
public final class AudioStream {
    public let path: String
    /// Rate of the samples handed out.
    public let sampleRate: Int
    public let sourceRate: Int
    public let channels: Int
    /// Frames the source header announces (an estimate for compressed formats; 0 when unknown).
    public let sourceFrames: Int

    /// The output samples the header announces, to reserve memory for: 0 when unknown, and never
    /// more than `maxReservedSamples` (about 100 minutes at 22050 Hz), whatever a damaged
    /// header claims.
    public var expectedSamples: Int {
        guard sourceFrames > 0 else { return 0 }
        return Int(min((Double(sourceFrames) * Double(sampleRate) / Double(sourceRate)).rounded(.up), Double(Self.maxReservedSamples)))
    }
    private static let maxReservedSamples = 1 << 27

    private let file: any AudioDecoder
    private let resampler: Resampler?
    private let blockFrames: Int
    private var interleaved: [Float]
    private var mono: [Float]
    /// Output not yet handed out; its last `holdBack` samples wait for the length fix at the end.
    private var pending: [Float] = []
    private var framesRead = 0
    private var emitted = 0
    private var finished = false
    private static let holdBack = 512
    /// Largest resampling ratios: up (8 kHz → 384 kHz is 48×), where a damaged header's 1 Hz
    /// would turn kilobytes into gigabytes, and down, where the output only shrinks (DSD512
    /// decodes at 2.8224 MHz, 128× 22050 Hz).
    private static let maxUpsampling = 64.0
    private static let maxDownsampling = 256.0

    /// - Parameter sampleRate: target rate; nil keeps the file's own rate.
    public convenience init(path: String, sampleRate: Int? = 22050, blockFrames: Int = 16384) throws {
        try self.init(source: .file(path), sampleRate: sampleRate, blockFrames: blockFrames)
    }

    /// Decodes a file or bytes in memory (`AudioSource`).
    public convenience init(source: AudioSource, sampleRate: Int? = 22050, blockFrames: Int = 16384) throws {
        try self.init(file: source.open(), sampleRate: sampleRate, blockFrames: blockFrames)
    }

    /// Decodes a whole file held in memory (libsndfile's virtual I/O or FFmpeg's custom I/O);
    /// `name` stands for the path in errors.
    public convenience init(bytes: [UInt8], name: String = "<memory>", sampleRate: Int? = 22050, blockFrames: Int = 16384,
                            library: AudioLibrary = .automatic) throws {
        try self.init(file: AudioDecoders.open(bytes: bytes, name: name, library: library), sampleRate: sampleRate, blockFrames: blockFrames)
    }

    private init(file: any AudioDecoder, sampleRate: Int?, blockFrames: Int) throws {
        self.file = file
        self.path = file.path
        sourceRate = file.sampleRate
        channels = file.channels
        sourceFrames = file.frames
        self.sampleRate = sampleRate ?? file.sampleRate
        // libsndfile's own limit; a damaged header read by FFmpeg can claim tens of thousands.
        guard channels <= 1024 else { throw AudioError(path: path, problem: "implausible channel count \(channels)") }
        // A damaged header can claim 1 Hz, which would upsample each block into gigabytes.
        let ratio = Double(self.sampleRate) / Double(sourceRate)
        guard ratio <= Self.maxUpsampling, ratio >= 1 / Self.maxDownsampling else {
            throw AudioError(path: path, problem: "implausible sample rate \(sourceRate) Hz (resampling to \(self.sampleRate) Hz is limited to "
                + "\(Int(Self.maxUpsampling))× up and \(Int(Self.maxDownsampling))× down)")
        }
        resampler = self.sampleRate == sourceRate ? nil : try Resampler(from: sourceRate, to: self.sampleRate)
        self.blockFrames = blockFrames
        interleaved = file.channels == 1 ? [] : [Float](repeating: 0, count: blockFrames * file.channels)
        mono = [Float](repeating: 0, count: blockFrames)
    }

    /// The next block of samples, or nil at the end of the file.
    public func next() throws -> [Float]? {
        while !finished && pending.count <= Self.holdBack + blockFrames / 2 {
            try readBlock()
        }
        let available = pending.count - (finished ? 0 : Self.holdBack)
        guard available > 0 else { return nil }
        emitted += available
        // The buffer itself is handed out, and only the held-back tail is copied into a new one
        // of the same capacity: `pending` stays one block long instead of growing (and faulting
        // in fresh pages) to the length of the file, and no block is copied twice. The last
        // block holds no tail back, so nothing is kept after it.
        var block = pending
        pending = []
        if !finished {
            pending.reserveCapacity(block.capacity)
            pending.append(contentsOf: block[available...])
            block.removeLast(block.count - available)
        }
        return block
    }

    /// Reads every remaining sample.
    public func readAll() throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(expectedSamples + 16)
        while let block = try next() { out.append(contentsOf: block) }
        return out
    }

    private func readBlock() throws {
        let channels = self.channels
        // A mono file is decoded straight into `mono`: its mix-down would be a copy.
        func read(into buffer: inout [Float]) throws -> Int {
            try buffer.withUnsafeMutableBufferPointer { try file.read(into: $0.baseAddress!, maxFrames: blockFrames) }
        }
        let n = channels == 1 ? try read(into: &mono) : try read(into: &interleaved)
        framesRead += n
        if n > 0 {
            if channels > 1 {
                interleaved.withUnsafeBufferPointer { src in
                    mono.withUnsafeMutableBufferPointer { dst in Self.mixDown(src.baseAddress!, frames: n, channels: channels, into: dst.baseAddress!) }
                }
            }
            try checkFinite(n)
            if let resampler {
                mono.withUnsafeBufferPointer { resampler.process(UnsafeBufferPointer(rebasing: $0[0..<n]), into: &pending) }
            } else {
                pending.append(contentsOf: mono[0..<n])
            }
        }
        if n < blockFrames {
            try finish()
        }
    }

    /// numpy's mean over channels: per frame, the channels added in order to 0, then divided by
    /// their number. Eight frames at a time, the same operations in each lane (so the same bits):
    /// a frame at a time, the divisions alone took a tenth of a 44.1 kHz stereo clip's
    /// `genre features`.
    static func mixDown(_ src: UnsafePointer<Float>, frames n: Int, channels: Int, into dst: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        switch channels {
        case 1:
            dst.update(from: src, count: n)
        case 2:
            // Written plainly, LLVM vectorises it, splitting the pairs with shuffles.
            for i in 0..<n { dst[i] = (0 + src[2 * i] + src[2 * i + 1]) / 2 }
        default:
            let scale = V(repeating: Float(channels))
            var i = 0
            while i + 8 <= n {
                let frames = src + i * channels
                var sum = V()
                for c in 0..<channels {
                    sum += V(frames[c], frames[channels + c], frames[2 * channels + c], frames[3 * channels + c],
                             frames[4 * channels + c], frames[5 * channels + c], frames[6 * channels + c], frames[7 * channels + c])
                }
                UnsafeMutableRawPointer(dst + i).storeBytes(of: sum / scale, as: V.self)
                i += 8
            }
            for i in i..<n {
                var sum: Float = 0
                for c in 0..<channels { sum += src[i * channels + c] }
                dst[i] = sum / Float(channels)
            }
        }
    }

    /// A NaN or an infinity (or channels too large to add up) would turn every window's
    /// spectrum into NaN: refused with the time of the first, as librosa refuses such a buffer.
    private func checkFinite(_ n: Int) throws {
        // Exponent bits all ones ⇔ not finite; an integer OR over the block vectorises.
        let flags = mono.withUnsafeBufferPointer { samples in
            samples.withMemoryRebound(to: UInt32.self) { bits in
                var flags: UInt32 = 0
                for i in 0..<n { flags |= (bits[i] & 0x7F80_0000) &+ 0x0080_0000 }
                return flags
            }
        }
        guard flags & 0x8000_0000 != 0, let first = mono[..<n].firstIndex(where: { !$0.isFinite }) else { return }
        let seconds = Double(framesRead - n + first) / Double(sourceRate)
        throw AudioError(path: path, problem: "damaged: the sample at \(String(cFormat: "%.3f", seconds)) s is \(mono[first].isNaN ? "NaN" : "infinite")")
    }

    private func finish() throws {
        finished = true
        guard framesRead > 0 else {
            throw AudioError(path: path, problem: "no audio frames (the file holds no decodable audio)")
        }
        resampler?.process(nil, into: &pending)
        let expected = resampler == nil
            ? framesRead
            : Int((Double(framesRead) * (Double(sampleRate) / Double(sourceRate))).rounded(.up))
        let produced = outputCount
        if produced < expected {
            pending.append(contentsOf: repeatElement(0, count: expected - produced))
        } else if produced > expected {
            pending.removeLast(produced - expected)
        }
    }

    /// Samples produced so far, handed out or pending.
    private var outputCount: Int { emitted + pending.count }
}
