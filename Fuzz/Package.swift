// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the readers of untrusted files (README, "Reliability" → "Fuzzing").
// Built apart from the main package, and only with the fuzzer and AddressSanitizer:
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address
// (`make fuzz` does this and runs each target). Each target is one `LLVMFuzzerTestOneInput`
// whose main.swift hands control to libFuzzer (FuzzDriver); its seed corpus is Fuzz/Corpus/<target>.
let genre = "genre"

let package = Package(
    name: "genre-fuzz",
    dependencies: [.package(name: genre, path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzDriver", dependencies: ["CFuzzDriver"]),
        // The audio targets' body: bytes opened from memory and decoded to the end.
        .target(name: "FuzzAudio", dependencies: [.product(name: "Audio", package: genre)]),
        // safetensors header and checkpoint validation: SafeTensorsFile(bytes:), Checkpoint.info, load into a network.
        .executableTarget(name: "FuzzCheckpoint", dependencies: [
            "FuzzDriver", .product(name: "SafeTensors", package: genre), .product(name: "GenreKit", package: genre),
            .product(name: "Models", package: genre),
        ]),
        // Config files: JSON(parsing:), then Config(json:).
        .executableTarget(name: "FuzzConfig", dependencies: [
            "FuzzDriver", .product(name: "Basics", package: genre), .product(name: "GenreKit", package: genre),
        ]),
        // .npy files: NpyReader.
        .executableTarget(name: "FuzzNpy", dependencies: ["FuzzDriver", .product(name: "Features", package: genre)]),
        // Earlier CSV / JSON Lines output read by `genre predict --skip-done`.
        .executableTarget(name: "FuzzDonePaths", dependencies: ["FuzzDriver", .product(name: "Basics", package: genre), .product(name: "GenreKit", package: genre)]),
        // Playlists given to predict and tag: M3U, M3U8, PLS.
        .executableTarget(name: "FuzzPlaylist", dependencies: ["FuzzDriver", .product(name: "GenreKit", package: genre)]),
        // Split lists (`data.split_files`).
        .executableTarget(name: "FuzzSplitList", dependencies: ["FuzzDriver", .product(name: "Basics", package: genre), .product(name: "GenreKit", package: genre)]),
        // Audio through libsndfile from memory (virtual I/O), mixed to mono and resampled.
        .executableTarget(name: "FuzzSndFile", dependencies: ["FuzzDriver", "FuzzAudio"]),
        // Audio through FFmpeg from memory (libavformat custom I/O, libavcodec), the same way on.
        .executableTarget(name: "FuzzFFmpeg", dependencies: ["FuzzDriver", "FuzzAudio"]),
        // Audio as the tool opens a file: the sniffer picks the library, FFmpeg takes what libsndfile refuses.
        .executableTarget(name: "FuzzAudioFile", dependencies: ["FuzzDriver", "FuzzAudio"]),
    ]
)
