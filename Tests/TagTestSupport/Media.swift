import Foundation

/// Test media made with the ffmpeg CLI, and ffprobe/ffmpeg as readers independent of TagLib.
/// A missing ffmpeg or ffprobe is an error (the tests fail), never a skip.
public enum Media {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One kind of file the tagger writes, made from a WAV by ffmpeg (or by `mpcenc`, with `codec`
    /// its options: ffmpeg has no Musepack encoder).
    public struct Kind: Sendable, CustomStringConvertible {
        public let ext: String
        public let codec: [String]
        /// Whether ffmpeg can put cover art into this container.
        public let cover: Bool
        public let encoder: String
        public var description: String { ext }

        public init(ext: String, codec: [String], cover: Bool, encoder: String = "ffmpeg") {
            (self.ext, self.codec, self.cover, self.encoder) = (ext, codec, cover, encoder)
        }
    }

    public static let mp3 = Kind(ext: "mp3", codec: ["-c:a", "libmp3lame", "-b:a", "64k"], cover: true)
    public static let flac = Kind(ext: "flac", codec: ["-c:a", "flac"], cover: true)
    public static let ogg = Kind(ext: "ogg", codec: ["-c:a", "libvorbis"], cover: false)
    public static let opus = Kind(ext: "opus", codec: ["-c:a", "libopus", "-b:a", "48k"], cover: false)
    public static let m4a = Kind(ext: "m4a", codec: ["-c:a", "aac", "-b:a", "64k"], cover: true)
    public static let wav = Kind(ext: "wav", codec: ["-c:a", "pcm_s16le"], cover: false)
    public static let aiff = Kind(ext: "aiff", codec: ["-c:a", "pcm_s16be", "-write_id3v2", "1"], cover: false)
    public static let wma = Kind(ext: "wma", codec: ["-c:a", "wmav2", "-b:a", "64k"], cover: false)
    public static let wavpack = Kind(ext: "wv", codec: ["-c:a", "wavpack"], cover: false)
    /// Musepack SV8 with an APEv2 tag.
    public static let musepack = Kind(ext: "mpc", codec: ["--quality", "3"], cover: false, encoder: "mpcenc")
    public static let speex = Kind(ext: "spx", codec: ["-c:a", "libspeex"], cover: false)
    /// True Audio; ffmpeg puts the tags in an APEv2 tag at the end (none without tags).
    public static let trueAudio = Kind(ext: "tta", codec: ["-c:a", "tta"], cover: false)
    /// Every kind ffmpeg or mpcenc can encode (neither has a Monkey's Audio encoder, so no .ape).
    public static let all = [mp3, flac, ogg, opus, m4a, wav, aiff, wma, wavpack, musepack, speex, trueAudio]

    /// Runs a program found on PATH (or at an absolute path); stdout as bytes, stderr as text.
    @discardableResult
    public static func run(_ command: [String], check: Bool = true) throws -> (status: Int32, stdout: Data, stderr: String) {
        guard let executable = which(command[0]) else {
            throw Failure(description: "\(command[0]) is not installed (`make deps` installs it)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // stderr is read on another thread so that neither pipe can fill up and block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let stderr = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderr.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let text = String(decoding: stderr.data, as: UTF8.self)
        if check && process.terminationStatus != 0 {
            throw Failure(description: "\(command.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return (process.terminationStatus, stdout, text)
    }

    public static func which(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A stereo 44.1 kHz WAV: two tones with a slow tremolo.
    public static func makeSource(_ path: String, seconds: Double = 1.5) throws {
        try run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                 "aevalsrc=0.3*sin(2*PI*220*t)*(0.6+0.4*sin(3*t))|0.2*sin(2*PI*330*t):s=44100:d=\(seconds)",
                 "-c:a", "pcm_s16le", path])
    }

    /// A small PNG for cover art.
    public static func makeCover(_ path: String) throws {
        try run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=16x16", "-frames:v", "1", path])
    }

    /// Encodes `source` as `kind` with `metadata`, and `cover` as attached picture where the
    /// container takes one.
    public static func encode(_ kind: Kind, from source: String, to path: String, metadata: [String: String], cover: String?) throws {
        if kind.encoder == "mpcenc" {
            // mpcenc takes 32 to 48 kHz only.
            let wav = path + ".44100.wav"
            defer { try? FileManager.default.removeItem(atPath: wav) }
            try run(["ffmpeg", "-v", "error", "-y", "-i", source, "-ar", "44100", "-c:a", "pcm_s16le", wav])
            let tags = metadata.sorted(by: { $0.key < $1.key }).flatMap { ["--tag", "\($0.key)=\($0.value)"] }
            try run(["mpcenc", "--silent", "--overwrite"] + kind.codec + tags + [wav, path])
            return
        }
        var command = ["ffmpeg", "-v", "error", "-y", "-i", source]
        let withCover = kind.cover && cover != nil
        if withCover { command += ["-i", cover!, "-map", "0:a", "-map", "1", "-c:v", "copy", "-disposition:v", "attached_pic"] }
        command += kind.codec
        if metadata.isEmpty { command += ["-map_metadata", "-1", "-fflags", "+bitexact"] }  // not even an encoder tag
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { command += ["-metadata", "\(key)=\(value)"] }
        try run(command + [path])
    }

    /// ffprobe's tags for the file: container tags and the audio stream's, keys lowercased.
    public static func tags(_ path: String) throws -> [String: String] {
        let out = try run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "format_tags:stream_tags",
                           "-of", "json", path]).stdout
        guard let object = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
            throw Failure(description: "ffprobe printed no JSON for \(path)")
        }
        var tags: [String: String] = [:]
        for stream in (object["streams"] as? [[String: Any]]) ?? [] {
            for (key, value) in (stream["tags"] as? [String: Any]) ?? [:] { tags[key.lowercased()] = "\(value)" }
        }
        for (key, value) in ((object["format"] as? [String: Any])?["tags"] as? [String: Any]) ?? [:] { tags[key.lowercased()] = "\(value)" }
        return tags
    }

    /// The MD5 of the decoded audio (ffmpeg's md5 muxer over the first audio stream as float PCM).
    public static func audioMD5(_ path: String) throws -> String {
        let out = try run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "md5", "-"]).stdout
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The MD5 of the attached picture's bytes, nil when the file has none.
    public static func coverMD5(_ path: String) throws -> String? {
        let streams = try run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=index", "-of", "csv=p=0", path]).stdout
        guard !String(decoding: streams, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let result = try run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0?", "-c", "copy", "-f", "md5", "-"], check: false)
        let text = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && !text.isEmpty ? text : nil
    }

    /// Whether ffmpeg decodes the whole file without an error.
    public static func decodes(_ path: String) -> Bool {
        guard let result = try? run(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-map", "0:a:0", "-f", "null", "-"], check: false) else { return false }
        return result.status == 0 && result.stderr.isEmpty
    }

    /// The hex SHA-256 that `sha256sum` prints for a file.
    public static func sha256sum(_ path: String) throws -> String {
        String(String(decoding: try run(["sha256sum", path]).stdout, as: UTF8.self).prefix(64))
    }
}
