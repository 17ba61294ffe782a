import ArgumentParser
import Features

/// The §1 feature parameters as options shared by subcommands.
struct FeatureOptions: ParsableArguments {
    @Option(name: .customLong("sample-rate"), help: "Resample to this rate (Hz).")
    var sampleRate: Int = 22050
    @Option(name: .customLong("n-fft"), help: "FFT size (samples).")
    var nFFT: Int = 2048
    @Option(name: .customLong("hop-length"), help: "Hop between frames (samples).")
    var hopLength: Int = 512
    @Option(name: .customLong("n-mels"), help: "Number of mel bands.")
    var nMels: Int = 128
    @Option(help: "Lowest mel frequency (Hz).")
    var fmin: Double = 0
    @Option(help: "Highest mel frequency (Hz); default sample-rate / 2.")
    var fmax: Double?
    @Option(name: .customLong("top-db"), help: "Dynamic range kept below the clip's maximum (dB).")
    var topDB: Float = 80

    var parameters: FeatureParameters {
        FeatureParameters(sampleRate: sampleRate, nFFT: nFFT, hopLength: hopLength, nMels: nMels,
                          fmin: fmin, fmax: fmax, topDB: topDB)
    }

    func validate() throws {
        if let problem = parameters.problem { throw ValidationError(problem) }
    }
}
