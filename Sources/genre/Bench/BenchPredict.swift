import Basics
import ArgumentParser
import Audio
import Engine
import Features
import FoundationEssentials
import Glibc
import GenreKit
import Models

struct BenchPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Whole processes: --version, features and predict of one 30 s clip; a folder's files/s, an hour's peak memory."
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

        // Whole processes, each after one untimed run (the page cache).
        let runs = max(1, repeats)
        func median(_ arguments: [String]) throws -> Double {
            _ = try spawn(arguments)
            let times = try (0..<runs).map { _ in try spawn(arguments).seconds }
            return times.sorted()[runs / 2]
        }
        report("genre --version, new process",
               String(cFormat: "%7.1f ms wall (median of %d; target ≤ 5 ms)", try median(["--version"]) * 1e3, runs))
        report("genre features of the 30 s clip, new process",
               String(cFormat: "%7.1f ms wall (median of %d; target ≤ 15 ms)", try median(["features", clip, "-o", file("clip.npy")]) * 1e3, runs))
        report("30 s clip, new process, MobileNetV2 α=1 (start, load, decode, features, forward, print)",
               String(cFormat: "%7.3f s wall (median of %d; target ≤ 0.1 s)", try median(["predict", clip, "--checkpoint", checkpoint]), runs))

        let music = file("music")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        for i in 0..<max(1, clips) { try FileManager.default.copyItem(atPath: clip, toPath: music + String(cFormat: "/clip%03d.wav", i)) }
        let threads = Parallel.processorCount
        let batch = try spawn(["predict", music, "--checkpoint", checkpoint, "--out", file("results.csv")])
        report("folder of \(clips) 30 s clips, \(threads) threads", String(cFormat: "%7.1f files/s (%.1f s)", Double(clips) / batch.seconds, batch.seconds))

        if hour {
            let long = file("hour.wav")
            try BenchSignal.writeLongWAV(path: long, minutes: 60)
            let run = try spawn(["predict", long, "--checkpoint", checkpoint])
            report("60 min 44.1 kHz stereo WAV, streamed (\(String(cFormat: "%.1f s", run.seconds)))",
                   String(cFormat: "%7.0f MB peak resident memory (target < 300 MB)", run.peakMegabytes))
        }
    }

    /// Runs this executable with `arguments`; wall time and the child's peak resident memory.
    /// posix_spawn and wait4 rather than Foundation's Process, whose waitUntilExit polls its run
    /// loop every 50 ms: a 50 ms run of `genre predict` was timed at 0.12 s.
    private func spawn(_ arguments: [String]) throws -> (seconds: Double, peakMegabytes: Double) {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var errors: [Int32] = [0, 0]
        guard pipe(&errors) == 0 else { throw fail("cannot make a pipe for genre's errors") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        posix_spawn_file_actions_addclose(&actions, errors[0])
        posix_spawn_file_actions_addclose(&actions, errors[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var stderr = Data()
        var (status, usage): (Int32, rusage) = (0, rusage())
        let seconds = try BenchTiming.seconds {
            var pid = pid_t()
            let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
            close(errors[1])
            defer { close(errors[0]) }
            guard spawned == 0 else { throw fail("cannot start \(executable): \(String(cString: strerror(spawned)))") }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while case let count = read(errors[0], &buffer, buffer.count), count > 0 { stderr.append(contentsOf: buffer[0..<count]) }
            while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        }
        // Exited (low seven bits zero) with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw fail("genre \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
        return (seconds, Double(usage.ru_maxrss) / 1024)
    }

    private func report(_ label: String, _ value: String) { BenchTiming.row(label, value) }
}
