import Basics
import ArgumentParser
import Audio
import Features
import FoundationEssentials
import Dispatch
import Glibc

struct BenchFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Log-mel and decode throughput as multiples of realtime."
    )

    @Option(help: "Timed repetitions (the median is printed).")
    var repeats: Int = 15
    @Flag(help: "Also push a 60-minute 44.1 kHz stereo WAV (and its AAC copy) through the streaming path and report peak memory.")
    var hour = false

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("genre-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let logMel = LogMel()
        let clip = BenchSignal.music(seconds: 30, sampleRate: 22050, channels: 1)
        let featureTime = median(repeats) { _ = logMel.compute(clip) }
        report("log-mel, 30 s 22050 Hz mono, 1 thread", seconds: featureTime, audio: 30)

        let wav = folder.appendingPathComponent("clip-44100-stereo.wav").path
        try AudioWriter.write(samples: BenchSignal.music(seconds: 30, sampleRate: 44100, channels: 2),
                              sampleRate: 44100, channels: 2, to: wav, encoding: .pcm16)
        let pipelineTime = try median(repeats) { _ = try logMel.compute(path: wav) }
        report("decode + resample + log-mel, 30 s 44.1 kHz stereo 16-bit WAV", seconds: pipelineTime, audio: 30)

        // AAC goes through FFmpeg; the ffmpeg CLI (installed by `make deps`) writes the file.
        let aac = folder.appendingPathComponent("clip-44100-stereo.m4a").path
        if try encodeAAC(wav, to: aac) {
            let aacTime = try median(repeats) { _ = try logMel.compute(path: aac) }
            report("decode + resample + log-mel, 30 s 44.1 kHz stereo AAC (.m4a, FFmpeg)", seconds: aacTime, audio: 30)
        }

        if hour {
            let long = folder.appendingPathComponent("hour.wav").path
            try BenchSignal.writeLongWAV(path: long, minutes: 60)
            var spectrogram = Spectrogram(nMels: 0, frames: 0, values: [])
            let elapsed = try BenchTiming.seconds { spectrogram = try logMel.compute(path: long) }
            report("decode + resample + log-mel, 60 min 44.1 kHz stereo WAV (\(spectrogram.frames) frames)", seconds: elapsed, audio: 3600)
            print(String(cFormat: "peak resident memory: %.0f MB", PeakMemory.megabytes()))

            let longAAC = folder.appendingPathComponent("hour.m4a").path
            if try encodeAAC(long, to: longAAC) {
                try FileManager.default.removeItem(atPath: long)
                let start = DispatchTime.now()
                let spectrogram = try logMel.compute(path: longAAC)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                report("decode + resample + log-mel, 60 min 44.1 kHz stereo AAC (\(spectrogram.frames) frames)", seconds: elapsed, audio: 3600)
                print(String(cFormat: "peak resident memory: %.0f MB", PeakMemory.megabytes()))
            }
        }
    }

    /// `ffmpeg -i wav -c:a aac m4a`; false (with a note) when the ffmpeg CLI is not installed.
    private func encodeAAC(_ wav: String, to target: String) throws -> Bool {
        let folders = (Environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let ffmpeg = folders.map({ $0 + "/ffmpeg" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("AAC rows skipped: the ffmpeg command-line tool, which writes the AAC file, is not installed (make deps)")
            return false
        }
        let arguments: [String] = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", wav, "-c:a", "aac", "-b:a", "192k", target]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var (pid, status) = (pid_t(), Int32(0))
        guard posix_spawn(&pid, ffmpeg, nil, nil, argv, environ) == 0 else { throw fail("cannot start \(ffmpeg)") }
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw fail("ffmpeg could not write \(target)") }
        return true
    }

    private func report(_ label: String, seconds: Double, audio: Double) {
        BenchTiming.row(label, width: 66, String(cFormat: "%9.2f ms %8.0f× realtime", seconds * 1e3, audio / seconds))
    }

    private func median(_ n: Int, _ body: () throws -> Void) rethrows -> Double {
        BenchTiming.median(try BenchTiming.times(steps: n, body))
    }
}
