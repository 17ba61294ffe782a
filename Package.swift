// swift-tools-version:6.0
import PackageDescription

// Numeric kernels are written for SIMD8<Float>; without a CPU target swiftc lowers
// `addingProduct` to one `fmaf` call per lane. haswell = AVX2 + FMA.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", "haswell"]),
]

let package = Package(
    name: "genre",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "genre", targets: ["genre"]),
        .library(name: "Audio", targets: ["Audio"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"]), .brew(["libsoxr"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Libraries. Arrows point one way: genre -> {Features -> Audio, Engine, SafeTensors}.
        .target(name: "Files"),
        .target(name: "SafeTensors", dependencies: ["Files"]),
        .target(name: "Audio", dependencies: ["Files", "CSndFile", "CSoxr"], swiftSettings: fast),
        .target(name: "Features", dependencies: ["Files", "Audio", "CFFTW", "CZlib"], swiftSettings: fast),
        // The GEMM's inner loops and the depthwise kernel for AVX-512 CPUs; Engine calls them only
        // where the CPU has it.
        .target(name: "EngineAVX512", swiftSettings: [.unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", "skylake-avx512"])]),
        .target(name: "Engine", dependencies: ["EngineAVX512"], swiftSettings: fast),
        .target(name: "Models", dependencies: ["Engine"], swiftSettings: fast),
        .target(name: "GenreKit", dependencies: ["Files", "Audio", "Features", "SafeTensors", "Models", "Engine", "Synth"], swiftSettings: fast),
        .target(name: "Synth", dependencies: ["Audio"], swiftSettings: fast),

        // The command-line tool: one file per subcommand, no logic of its own.
        .executableTarget(
            name: "genre",
            dependencies: [
                "Files", "Audio", "Features", "Engine", "SafeTensors", "Models", "GenreKit", "Synth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast),

        // Tests. Reference fixtures are in Tests/Fixtures (`make fixtures`); GENRE_FIXTURES adds a folder.
        .target(name: "TestSupport", dependencies: ["SafeTensors", "Engine", "Models"], path: "Tests/TestSupport"),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "TestSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Audio", "SafeTensors", "TestSupport", "CZlib"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "SafeTensors", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Engine", "SafeTensors", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "GenreKitTests", dependencies: ["GenreKit", "Features", "Audio", "Engine", "Models", "SafeTensors", "Files", "Synth", "TestSupport"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Audio", "Features", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "GenreKit", "Models", "Features", "Audio"]),
    ]
)
