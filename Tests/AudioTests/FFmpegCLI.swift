import Audio
import Foundation
import XCTest

/// The `ffmpeg` command-line tool, which writes the encoded test files and decodes the reference
/// samples. `make deps` installs it; without it the FFmpeg tests fail rather than skip.
enum FFmpegCLI {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "the ffmpeg command-line tool is not installed (make deps installs it)" }
    }

    static var executable: String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return (folders.map { "\($0)/ffmpeg" } + ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs ffmpeg with `arguments` (after `-nostdin -v error -y`); its standard output.
    @discardableResult
    static func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Data {
        guard let executable else {
            XCTFail(Missing().description, file: file, line: line)
            throw Missing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-nostdin", "-v", "error", "-y"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // At `-v error` stderr holds a few lines at most, far below a pipe's buffer.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = "ffmpeg \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))"
            XCTFail(message, file: file, line: line)
            throw NSError(domain: "ffmpeg", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: message])
        }
        return stdout
    }

    /// Encodes `source` to `target` with the given codec options.
    static func encode(_ source: String, to target: String, _ options: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try run(["-i", source] + options + [target], file: file, line: line)
    }

    /// `ffmpeg -i path -f f32le -acodec pcm_f32le -`: the reference decoding, frames interleaved.
    static func decode(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Float] {
        let data = try run(["-i", path, "-f", "f32le", "-acodec", "pcm_f32le", "-"], file: file, line: line)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// A deterministic test recording: per channel a different tone, a shared chirp and a little
/// seeded noise, peaking below 0.8.
func testRecording(seconds: Double, sampleRate: Int, channels: Int) -> [Float] {
    let frames = Int(seconds * Double(sampleRate))
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var out = [Float](repeating: 0, count: frames * channels)
    for i in 0..<frames {
        let t = Double(i) / Double(sampleRate)
        let chirp = 0.2 * sin(2 * Double.pi * (200 * t + 1500 * t * t))
        for c in 0..<channels {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(Int64(bitPattern: state) >> 11) / Double(1 << 52) * 0.05
            let tone = 0.4 * sin(2 * Double.pi * Double(110 * (c + 2)) * t) * (0.6 + 0.4 * sin(2 * Double.pi * 3 * t))
            out[i * channels + c] = Float(tone + chirp + noise)
        }
    }
    return out
}

/// numpy's mean over channels of interleaved frames: sum in order, then divide.
func channelMean(_ interleaved: [Float], channels: Int) -> [Float] {
    stride(from: 0, to: interleaved.count, by: channels).map { start in
        var sum: Float = 0
        for c in 0..<channels { sum += interleaved[start + c] }
        return sum / Float(channels)
    }
}

/// Frames of [channel][frame] interleaved.
func interleave(_ channels: [[Float]]) -> [Float] {
    guard let first = channels.first else { return [] }
    var out = [Float](repeating: 0, count: first.count * channels.count)
    for (c, channel) in channels.enumerated() {
        for (t, x) in channel.enumerated() { out[t * channels.count + c] = x }
    }
    return out
}
