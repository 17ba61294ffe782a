import Audio
import Basics
import Engine
import Features
import Foundation
import GenreKit
import Models
import SafeTensors
import TestSupport
import XCTest

final class PredictorTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryFolder("genre-predict") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// A small random network on 32 mel bands with 1 s windows every 0.5 s.
    private func predictor(classes: Int = 3) -> Predictor {
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: classes)
        let info = CheckpointInfo(spec: spec, labels: (0..<classes).map { "genre\($0)" }, features: FeatureParameters(nMels: 32),
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: -35, std: 12)
        return Predictor(network: Network(spec, seed: 1), info: info)
    }

    /// Tones whose pitch and loudness change over time, plus a little noise, written as a WAV.
    private func clip(_ name: String, seconds: Double, rate: Int = 22050) throws -> String {
        var random = SeededRandom(seed: 7)
        let samples = (0..<Int(seconds * Double(rate))).map { i -> Float in
            let t = Double(i) / Double(rate)
            let envelope = 0.2 + 0.6 * abs(sin(0.7 * t))
            return Float(envelope * sin(2 * .pi * (200 + 40 * t) * t) * 0.5) + 0.01 * random.nextNormal()
        }
        let path = folder.appendingPathComponent(name).path
        try AudioWriter.write(samples: samples, sampleRate: rate, to: path, encoding: .float32)
        return path
    }

    /// From `packingFromWindows` windows on the predictor reads its 1×1 weights packed: the
    /// probabilities keep their bits.
    func testPackedWeightsKeepTheProbabilities() {
        // A random network's logits differ little from window to window: a low temperature
        // spreads them so that probabilities show any change.
        let spec = ModelSpec(arch: .mobilenetV2, width: 0.35, inChannels: 1, classes: 3)
        var info = CheckpointInfo(spec: spec, labels: ["a", "b", "c"], features: FeatureParameters(nMels: 32),
                                  windowing: Windowing(segmentSeconds: 1, segmentHopSeconds: 0.5), mean: -35, std: 12)
        info.extra["calibration"] = CalibrationInfo(temperature: 1e-3, eceBefore: 0, eceAfter: 0).json
        let predictor = Predictor(network: Network(spec, seed: 1), info: info)
        var random = SeededRandom(seed: 3)
        let windows = Predictor.packingFromWindows
        let input = Tensor(shape: [windows, 32, 43, 1], values: (0..<windows * 32 * 43).map { _ in random.nextNormal() })
        let first = predictor.probabilities(normalised: input)
        XCTAssertEqual(predictor.packedWeightCount, 0, "the first windows read the weights in place")
        let second = predictor.probabilities(normalised: input)
        XCTAssertGreaterThan(predictor.packedWeightCount, 0, "packed from the second call on")
        XCTAssertEqual(first.count, windows)
        let differing = zip(first.joined(), second.joined()).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(differing, 0, "\(differing) probabilities changed")
        XCTAssertGreaterThan(Set(first.map { $0[0] }).count, 1, "windows that differ")
    }

    /// Probabilities of the PyTorch model fixtures' inputs match softmax(eval_logits).
    func testFixtureProbabilitiesMatchPyTorch() throws {
        for url in Fixtures.files(in: "models") {
            let fixture = try Fixtures.load(url)
            let stem = url.deletingPathExtension().lastPathComponent
            let logits = fixture["eval_logits"]!
            let (batch, classes) = (logits.shape[0], logits.shape[1])
            let spec = try ModelSpec(fixture: url)
            XCTAssertEqual(spec.classes, classes, url.path)
            let info = CheckpointInfo(spec: spec, labels: (0..<classes).map { "c\($0)" }, features: FeatureParameters(),
                                      windowing: Windowing(), mean: 0, std: 1)
            var file = SafeTensorsFile(metadata: Checkpoint.file(Network(spec), info: info).metadata)
            for (name, tensor) in fixture.tensors where name.hasPrefix("param.") { file[String(name.dropFirst(6))] = tensor }
            let path = folder.appendingPathComponent("\(stem).safetensors").path
            try file.write(to: path)

            let predictor = try Predictor(checkpoint: path)
            let x = fixture["x"]!
            let input = Tensor(shape: [x.shape[0], x.shape[2], x.shape[3], 1], values: x.floats())  // one channel: NCHW = NHWC
            let ours = predictor.probabilities(normalised: input).flatMap { $0 }
            let expected = softmax(Tensor(shape: [batch, classes], values: logits.floats())).values
            XCTAssertLessThanOrEqual(maxAbsoluteError(ours, expected), 1e-4, url.path)
        }
    }

    /// The file's result is the mean of its §2 windows' softmax, each normalised by mean/std.
    func testWindowsAndMeanFollowTheContract() throws {
        let predictor = predictor()
        for (name, seconds) in [("song.wav", 3.3), ("short.wav", 0.4)] {
            let path = try clip(name, seconds: seconds)
            let prediction = try predictor.predict(path: path)

            let info = predictor.info
            let logMel = try LogMel(info.features).compute(path: path)
            let windows = WindowCutter(info.features, info.windowing).windows(of: logMel)
            XCTAssertEqual(prediction.windows.count, windows.count, name)
            let width = info.windowing.width(info.features)
            let input = Tensor(shape: [windows.count, info.features.nMels, width, 1],
                               values: windows.flatMap { $0.values.map { ($0 - info.mean) / info.std } })
            let rows = predictor.probabilities(normalised: input)
            for (index, (window, row)) in zip(prediction.windows, rows).enumerated() {
                XCTAssertLessThanOrEqual(maxAbsoluteError(window.probabilities, row), 1e-6, "\(name) window \(index)")
                let start = Double(WindowCutter(info.features, info.windowing).start(index) * info.features.hopLength) / Double(info.features.sampleRate)
                XCTAssertEqual(window.start, start, accuracy: 1e-9)
            }
            let mean = (0..<3).map { k in rows.map { $0[k] }.reduce(0, +) / Float(rows.count) }
            XCTAssertLessThanOrEqual(maxAbsoluteError(prediction.probabilities, mean), 1e-6, name)
            XCTAssertEqual(prediction.probabilities.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(prediction.duration, seconds, accuracy: 1e-3)
            XCTAssertEqual(prediction.top(2).map(\.label).first, prediction.label)
        }
    }

    /// The streamed mel power equals the whole-clip STFT's, chunk boundaries anywhere.
    func testMelChunksEqualTheWholeClip() throws {
        let path = try clip("song.wav", seconds: 4.1)
        let predictor = predictor()
        let whole = predictor.logMel.melPower(try AudioLoader.load(path: path, sampleRate: 22050))
        for chunk in [1, 7, 64, 1000] {
            predictor.chunkFrames = chunk
            var values = [[Float]](repeating: [], count: whole.nMels)
            var next = 0
            try predictor.melPowerChunks(source: .file(path)) { first, part in
                XCTAssertEqual(first, next)
                next += part.frames
                for m in 0..<part.nMels { values[m] += part.values[(m * part.frames)..<((m + 1) * part.frames)] }
            }
            XCTAssertEqual(next, whole.frames, "chunk \(chunk)")
            XCTAssertEqual(maxRelativeError(values.flatMap { $0 }, whole.values), 0, "chunk \(chunk)")
        }
    }

    /// A file past `wholeClipFrames` is streamed twice, never held whole, and gives the same windows.
    func testLongFileStreamedGivesTheWholeClipResult() throws {
        let path = try clip("long.wav", seconds: 12.3)
        let whole = try predictor().predict(path: path)
        let streaming = predictor()
        streaming.wholeClipFrames = 100
        streaming.chunkFrames = 37
        let streamed = try streaming.predict(path: path)
        XCTAssertEqual(streamed.windows.count, whole.windows.count)
        XCTAssertEqual(streamed.windows.map(\.start), whole.windows.map(\.start))
        for (a, b) in zip(streamed.windows, whole.windows) {
            XCTAssertLessThanOrEqual(maxAbsoluteError(a.probabilities, b.probabilities), 1e-6)
        }
        XCTAssertLessThanOrEqual(maxAbsoluteError(streamed.probabilities, whole.probabilities), 1e-6)
        XCTAssertEqual(streamed.duration, whole.duration)
    }

    /// A silent file (digital silence, 16-bit dither at -90 dBFS, hiss at -88 dBFS) is not given
    /// a genre; a quiet one (noise at -60 dBFS, a record's surface) is. Streamed files too.
    func testSilentFilesAreNotClassified() throws {
        var random = SeededRandom(seed: 3)
        func noise(_ name: String, dBFS: Double) throws -> String {
            let scale = Float(pow(10, dBFS / 20))
            let path = folder.appendingPathComponent(name).path
            try AudioWriter.write(samples: (0..<3 * 22050).map { _ in scale * random.nextNormal() }, sampleRate: 22050, to: path, encoding: .float32)
            return path
        }
        let zeros = folder.appendingPathComponent("zeros.wav").path
        try AudioWriter.write(samples: [Float](repeating: 0, count: 3 * 22050), sampleRate: 22050, to: zeros)
        let streaming = predictor()
        streaming.wholeClipFrames = 50
        for path in [zeros, try noise("dither.wav", dBFS: -90), try noise("hiss.wav", dBFS: -88)] {
            for predictor in [predictor(), streaming] {
                XCTAssertThrowsError(try predictor.predict(path: path)) {
                    XCTAssertTrue("\($0)".hasPrefix("\(path): silent: nothing louder than about -80 dBFS to classify (log-mel peak "), "\($0)")
                }
            }
        }
        let quiet = try noise("surface.wav", dBFS: -60)
        XCTAssertEqual(try predictor().predict(path: quiet).probabilities.count, 3)
        XCTAssertEqual(try streaming.predict(path: quiet).probabilities.count, 3)
    }

    /// A song with a long silent stretch (a hidden track's gap) is classified on its sounding
    /// windows only: the network names a genre for silence too. Streamed files, and evaluation's
    /// file probabilities, leave out the same windows.
    func testSilentWindowsAreLeftOutOfTheMean() throws {
        let rate = 22050, sound = 48510  // 2.2 s of tones, then 3 s of digital silence
        var random = SeededRandom(seed: 7)
        let samples = (0..<(sound + 3 * rate)).map { i -> Float in
            let t = Double(i) / Double(rate)
            return i < sound ? Float(0.4 * sin(2 * .pi * (200 + 40 * t) * t)) + 0.01 * random.nextNormal() : 0
        }
        let path = folder.appendingPathComponent("gap.wav").path
        try AudioWriter.write(samples: samples, sampleRate: rate, to: path, encoding: .float32)
        let whole = predictor()
        let streaming = predictor()
        streaming.wholeClipFrames = 50
        // 1 s windows every 21 frames; frame t reads samples from 512·t − 1024, so the windows
        // from frame 105 on hear nothing: 4 of the 9.
        let sounding = [0, 21, 42, 63, 84].map { Double($0 * 512) / Double(rate) }
        for predictor in [whole, streaming] {
            let prediction = try predictor.predict(path: path)
            XCTAssertEqual(prediction.silentWindows, 4)
            XCTAssertEqual(prediction.windows.map(\.start), sounding)
            let mean = (0..<3).map { k in prediction.windows.map { $0.probabilities[k] }.reduce(0, +) / 5 }
            XCTAssertLessThanOrEqual(maxAbsoluteError(prediction.probabilities, mean), 1e-6)
            XCTAssertTrue(prediction.json(top: 1).text.contains("\"silent_windows\":4"), prediction.json(top: 1).text)
        }
        let info = whole.info
        let set = WindowSet(clips: [try LogMel(info.features).compute(path: path)], labels: [0], parameters: info.features, windowing: info.windowing)
        let evaluated = Evaluation.clipProbabilities(whole.network, set, mean: info.mean, std: info.std)[0]
        XCTAssertLessThanOrEqual(maxAbsoluteError(evaluated, try whole.predict(path: path).probabilities), 1e-5)

        // Sound only in the frames past the last whole window: nothing to classify.
        let late = folder.appendingPathComponent("late.wav").path
        try AudioWriter.write(samples: (0..<72765).map { $0 < 66000 ? 0 : 0.3 * Float(sin(Double($0) * 0.05)) }, sampleRate: rate, to: late)
        for predictor in [whole, streaming] {
            XCTAssertThrowsError(try predictor.predict(path: late)) {
                XCTAssertTrue("\($0)".hasPrefix("\(late): silent in every window: its only sound is in the last 0.4 s"), "\($0)")
            }
        }
    }

    /// A clip under a third of a window (1 s here) is not classified: the window would be mostly
    /// padding. One just over it is.
    func testTooShortFilesAreNotClassified() throws {
        let short = try clip("short.wav", seconds: 0.3)
        XCTAssertThrowsError(try predictor().predict(path: short)) {
            XCTAssertEqual("\($0)", "\(short): too short to classify: 0.30 s of audio, under a third of the network's 1.0 s window")
        }
        XCTAssertEqual(try predictor().predict(path: try clip("enough.wav", seconds: 0.34)).windows.count, 1)
    }

    /// CSV and JSON Lines rows, quoting, and which earlier rows count as done.
    func testResultRowsAndDonePaths() throws {
        let prediction = Prediction(path: "a, \"b\".wav", duration: 2, labels: ["rock", "jazz", "pop"],
                                    probabilities: [0.2, 0.7, 0.1], windows: [])
        let csv = PredictionFormat(path: "out.csv")
        XCTAssertEqual(csv.header(top: 2), "path,label,confidence,label_1,probability_1,label_2,probability_2,error")
        let row = csv.row(prediction, top: 2)
        XCTAssertEqual(row, "\"a, \"\"b\"\".wav\",jazz,0.700000,jazz,0.700000,rock,0.200000,")
        let error = csv.errorRow(path: "bad.wav", message: "bad.wav: not a readable audio file", top: 2)
        XCTAssertEqual(error, "bad.wav,,,,,,,bad.wav: not a readable audio file")
        XCTAssertEqual(csv.donePaths([csv.header(top: 2)!, row, error, "torn.wav,ja"].joined(separator: "\n")), ["a, \"b\".wav"])

        let jsonl = PredictionFormat(path: "out.jsonl")
        XCTAssertEqual(jsonl, .jsonLines)
        let line = jsonl.row(prediction, top: 1)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["label"] as? String, "jazz")
        XCTAssertEqual((object["top"] as? [[String: Any]])?.count, 1)
        let failed = jsonl.errorRow(path: "bad.wav", message: "broken", top: 1)
        XCTAssertEqual(jsonl.donePaths([line, failed, "{\"path\": \"torn"].joined(separator: "\n")), ["a, \"b\".wav"])
    }
    /// Names that break a reader working on characters — a line break, CRLF (one character), a
    /// combining mark right after a quote or comma, one after a slash, a byte that is not UTF-8 —
    /// come back from their CSV rows, as `--skip-done` and Python's csv module read them.
    func testAwkwardNamesRoundTripThroughCSV() throws {
        let names = ["line\nbreak.wav", "crlf\r\nname.wav", "\"\u{301}quote.wav", ",\u{301}comma.wav", "a/\u{301}b.wav", "plain.wav",
                     FileSystemBytes.string(Array("caf".utf8) + [0xE9] + Array(".wav".utf8))]
        let csv = PredictionFormat.csv
        let text = ([csv.header(top: 1)!] + names.map { name in
            csv.row(Prediction(path: name, duration: 2, labels: ["rock", "jazz"], probabilities: [0.4, 0.6], windows: []), top: 1)
        }).joined(separator: "\n") + "\n"
        XCTAssertEqual(csv.donePaths(text), Set(names))

        let file = makeTemporaryFolder("genre-csv").appendingPathComponent("out.csv")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(FileSystemBytes.bytes(text)).write(to: file)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import csv, os, sys
            with open(sys.argv[1], newline='', encoding='utf-8', errors='surrogateescape') as f:
                for row in list(csv.reader(f))[1:]: print(os.fsencode(row[0]).hex(), row[1])
            """, file.path]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0)
        let expected = names.map { FileSystemBytes.bytes($0).map { String(format: "%02x", $0) }.joined() + " jazz" }
        XCTAssertEqual(printed.split(separator: "\n").map(String.init), expected)
    }
}
