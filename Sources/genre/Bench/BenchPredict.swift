import ArgumentParser
import Audio
import Features
import Foundation
import GenreKit
import Models

struct BenchPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "genre predict end to end: one 30 s clip in a new process, a folder's files/s, an hour's peak memory."
    )

    @Option(help: "Timed runs of the one-clip command (the median is printed).")
    var repeats: Int = 5
    @Option(help: "Clips in the folder run.")
    var clips: Int = 200
    @Flag(help: "Also classify a 60-minute 44.1 kHz stereo WAV and report the process's peak memory.")
    var hour = false

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("genre-bench-predict-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String) -> String { folder.appendingPathComponent(name).path }

        // A MobileNetV2 α=1 with GTZAN's ten labels and the default features (weights are random:
        // the time does not depend on them).
        let labels = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
        let spec = ModelSpec(arch: .mobilenetV2, width: 1, inChannels: 1, classes: labels.count)
        let checkpoint = file("v2.safetensors")
        try Checkpoint.write(Network(spec, seed: 1), info: CheckpointInfo(spec: spec, labels: labels, features: FeatureParameters(),
                                                                        windowing: Windowing(), mean: -40, std: 15), to: checkpoint)
        let clip = file("clip.wav")
        try AudioWriter.write(samples: BenchSignal.music(seconds: 30, sampleRate: 22050, channels: 1), sampleRate: 22050, to: clip)

        _ = try spawn(["predict", clip, "--checkpoint", checkpoint])  // warm-up: page cache
        var times: [Double] = []
        for _ in 0..<max(1, repeats) { times.append(try spawn(["predict", clip, "--checkpoint", checkpoint]).seconds) }
        report("30 s clip, new process, MobileNetV2 α=1 (start, load, decode, features, forward, print)",
               String(format: "%7.3f s wall (median of %d; target < 0.5 s)", times.sorted()[times.count / 2], times.count))

        let music = file("music")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        for i in 0..<max(1, clips) { try FileManager.default.copyItem(atPath: clip, toPath: music + String(format: "/clip%03d.wav", i)) }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let batch = try spawn(["predict", music, "--checkpoint", checkpoint, "--out", file("results.csv")])
        report("folder of \(clips) 30 s clips, \(threads) threads", String(format: "%7.1f files/s (%.1f s)", Double(clips) / batch.seconds, batch.seconds))

        if hour {
            let long = file("hour.wav")
            try BenchSignal.writeLongWAV(path: long, minutes: 60)
            let run = try spawn(["predict", long, "--checkpoint", checkpoint])
            report("60 min 44.1 kHz stereo WAV, streamed (\(String(format: "%.1f s", run.seconds)))",
                   String(format: "%7.0f MB peak resident memory (target < 300 MB)", run.peakMegabytes))
        }
    }

    /// Runs this executable with `arguments`; wall time and the child's peak resident memory.
    private func spawn(_ arguments: [String]) throws -> (seconds: Double, peakMegabytes: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        var stderr = Data()
        let seconds = try BenchTiming.seconds {
            try process.run()
            stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }
        guard process.terminationStatus == 0 else {
            throw fail("genre \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)  // the largest child so far: the later runs are the larger ones
        return (seconds, Double(usage.ru_maxrss) / 1024)
    }

    private func report(_ label: String, _ value: String) { BenchTiming.row(label, value) }
}
