// swift-tools-version:6.0
import PackageDescription

// Numeric kernels are written for SIMD8<Float>; without a CPU target swiftc lowers
// `addingProduct` to one `fmaf` call per lane. haswell = AVX2 + FMA. `squareRoot()` goes
// through a C shim that, under C's default -fmath-errno, became a libm call guarded lane by lane
// even in SIMD8 code; without errno it is one `vsqrtps` (square roots round the same either way).
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", "haswell", "-Xcc", "-fno-math-errno"]),
]

let package = Package(
    name: "genre",
    // Linux on x86-64 with AVX2 and FMA (README, "Set up"): the kernels are compiled for it.
    products: [
        .executable(name: "genre", targets: ["genre"]),
        .library(name: "Audio", targets: ["Audio"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        // For the fuzz targets in Fuzz/ (a separate package built with libFuzzer and ASan).
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Basics", targets: ["Basics"]),
        // genre's TagLib plugin, loaded by `genre tag` from beside the executable.
        .library(name: "GenreTagLib", type: .dynamic, targets: ["CTagLib"]),
        .library(name: "GenreKit", targets: ["GenreKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "TagLibSystem", pkgConfig: "taglib",
                       providers: [.apt(["libtag1-dev"])]),
        // glibc's extended-attribute calls (no library to link).
        .systemLibrary(name: "CExtendedAttributes"),

        // Libraries. Arrows point one way: genre -> Distributed -> GenreKit -> {Models -> Engine, Features -> Audio,
        // SafeTensors, Synth}; Basics, Randomness and Files are leaves.
        // What the modules need beyond FoundationEssentials (C-style number formatting, JSON
        // values, locks and threads, path strings, standard error): no module imports Foundation,
        // so the executable links neither it nor ICU (start-up time, README "Speed").
        .target(name: "Basics"),
        .target(name: "Files", dependencies: ["Basics", "CMappedReads"]),
        .target(name: "Randomness"),
        .target(name: "SafeTensors", dependencies: ["Basics", "Files"]),
        // libsndfile, libsoxr, FFmpeg (their -dev packages: headers in the default include path)
        // and genre's TagLib plugin through C APIs that load each with dlopen when a file first
        // needs it, not at start-up.
        .target(name: "CLoadedLibraries"),
        .target(name: "Audio", dependencies: ["Basics", "Files", "CLoadedLibraries", "CZlib"], swiftSettings: fast),
        .target(name: "Features", dependencies: ["Basics", "Files", "Audio", "CFFTW", "CZlib"], swiftSettings: fast),
        // The GEMM's inner loops and the depthwise kernel for AVX-512 CPUs; Engine calls them only
        // where the CPU has it.
        .target(name: "EngineAVX512", dependencies: ["CPrefetch"], swiftSettings: [.unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", "skylake-avx512", "-Xcc", "-fno-math-errno"])]),
        // Prefetch hints: for kernels that recompute rows a piece at a time, and for writing the
        // GEMM's next tile of C.
        .target(name: "CPrefetch"),
        .target(name: "CMappedReads"),
        .target(name: "Engine", dependencies: ["Basics", "Randomness", "EngineAVX512", "CPrefetch"], swiftSettings: fast),
        .target(name: "Models", dependencies: ["Basics", "Engine"], swiftSettings: fast),
        .target(name: "GenreKit", dependencies: ["Basics", "Files", "Audio", "Features", "SafeTensors", "Models", "Engine", "Synth"], swiftSettings: fast),
        .target(name: "Synth", dependencies: ["Basics", "Files", "Randomness", "Audio"], swiftSettings: fast),
        // Genre tags through TagLib: a C API over its C++ classes, and the Swift side (fields per
        // format, safe rewrites, the undo journal). The C API is its own shared library, the
        // GenreTagLib product, which Tags loads on first use (CLoadedLibraries/include/TagLib.h).
        // It is linked without the Swift driver's start-up object and against the static
        // runtime's archive, from which it takes nothing: by default the driver links the shared
        // Swift runtime into every library, a second runtime in a process that has its own.
        // Compiled without sanitizers even in `make sanitize` builds: an instrumented plugin needs
        // the sanitizer's runtime from the process, which the executable links in but does not
        // export (its static archives' symbols stay hidden).
        .target(name: "CTagLib", dependencies: ["TagLibSystem"], cxxSettings: [.unsafeFlags(["-fno-sanitize=all"])],
                linkerSettings: [.unsafeFlags(["-nostartfiles", "-static-stdlib", "-no-stdlib-rpath"])]),
        .target(name: "Tags", dependencies: ["Basics", "CExtendedAttributes", "CLoadedLibraries", "Files"]),
        // Data-parallel training under mpirun: a C API over the few MPI calls it needs (MPI's
        // handles are macros; libmpi is loaded with dlopen under a launcher only), and the process
        // group GenreKit's trainer and Engine's batch norm use.
        .target(name: "CMPIShim"),
        .target(name: "Distributed", dependencies: ["Basics", "CMPIShim", "GenreKit", "Engine"]),

        // The command-line tool: one file per subcommand, no logic of its own.
        .executableTarget(
            name: "genre",
            dependencies: [
                "Basics", "Files", "Audio", "Features", "Engine", "Models", "GenreKit", "Synth", "Tags", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast,
            // Start-up time (README, "Speed"): the Swift runtime, Dispatch and FoundationEssentials
            // linked in rather than loaded and relocated at every start. The modules are compiled
            // against the shared libraries, whose autolink entries omit what the static ones need besides.
            // `make sanitize-thread` links the shared ones (GENRE_SHARED_RUNTIME): ThreadSanitizer
            // intercepts libdispatch's calls on their way to the shared library, and with Dispatch
            // linked in its dispatch_apply interceptor has no real function to call.
            // mpg123_new is exported for libsndfile to call (CLoadedLibraries/Mpg123Quiet.c).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=mpg123_new"])]
                + (Context.environment["GENRE_SHARED_RUNTIME"] != nil ? [] : [
                    .unsafeFlags(["-static-stdlib", "-Xclang-linker", "-no-pie", "-l_FoundationCShims",
                                  "-l_FoundationCollections", "-lswiftSynchronization"]),
                ])),

        // Tests. Reference fixtures are in Tests/Fixtures (`make fixtures`); GENRE_FIXTURES adds a folder.
        .target(name: "TestSupport", dependencies: ["SafeTensors", "Engine", "Models"], path: "Tests/TestSupport"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "Files", "TestSupport"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "Features", "Randomness", "TestSupport", "TagTestSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Audio", "SafeTensors", "TestSupport", "CZlib"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "SafeTensors", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Engine", "SafeTensors", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "GenreKitTests", dependencies: ["Basics", "GenreKit", "Features", "Audio", "Engine", "Models", "SafeTensors", "Files", "Synth", "TestSupport"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Audio", "Features", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "SafeTensors", "Engine", "GenreKit", "Models", "Features", "Audio", "Tags", "TagTestSupport"]),
        .target(name: "TagTestSupport", dependencies: ["Tags"], path: "Tests/TagTestSupport"),
        .testTarget(name: "TagsTests", dependencies: ["Tags", "TagTestSupport", "TestSupport"]),
    ]
)
