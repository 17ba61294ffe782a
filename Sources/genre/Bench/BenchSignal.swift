import Audio
import Glibc

/// Deterministic music-like test signals for the benchmarks: a few decaying tones and noise.
enum BenchSignal {
    /// Interleaved samples of `channels` channels.
    static func music(seconds: Double, sampleRate: Int, channels: Int, offset: Int = 0) -> [Float] {
        let frames = Int(seconds * Double(sampleRate))
        var out = [Float](repeating: 0, count: frames * channels)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(offset)
        for i in 0..<frames {
            let t = Double(i + offset) / Double(sampleRate)
            let beat = t.truncatingRemainder(dividingBy: 0.5)
            let tone = 0.3 * sin(2 * .pi * 220 * t) + 0.2 * sin(2 * .pi * 331 * t) * exp(-6 * beat)
            for c in 0..<channels {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = Double(Int64(bitPattern: state) >> 40) / Double(1 << 23) * 0.05
                out[i * channels + c] = Float(tone + noise)
            }
        }
        return out
    }

    /// A long 44.1 kHz stereo WAV, written minute by minute through libsndfile.
    static func writeLongWAV(path: String, minutes: Int) throws {
        let writer = try AudioFileWriter(path: path, sampleRate: 44100, channels: 2)
        for m in 0..<minutes {
            try writer.write(music(seconds: 60, sampleRate: 44100, channels: 2, offset: m * 60 * 44100))
        }
        try writer.finish()
    }
}

enum PeakMemory {
    /// Peak resident set size of this process so far.
    static func megabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }
}
