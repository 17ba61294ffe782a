import Glibc

/// Attack–decay–sustain–release in seconds; sustain is a level in [0, 1].
public struct ADSR: Sendable {
    public var attack: Double
    public var decay: Double
    public var sustain: Double
    public var release: Double

    public init(attack: Double, decay: Double, sustain: Double, release: Double) {
        self.attack = attack
        self.decay = decay
        self.sustain = sustain
        self.release = release
    }

    /// Samples until a released note has faded below -80 dB.
    func tailSamples(sampleRate: Double) -> Int {
        Int(release * sampleRate * log(1e4) / Envelope.timeConstantsPerStage) + 1
    }
}

/// Steps an ADSR one sample at a time. Decay and release are exponential (a fixed ratio per
/// sample), which is how real instruments fade and costs one multiply.
struct Envelope {
    /// An exponential stage of length T closes this many time constants of its distance.
    static let timeConstantsPerStage = 4.0

    private enum Stage { case attack, decay, released }
    private var stage = Stage.attack
    private(set) var level: Float = 0
    private let attackStep: Float
    private let sustain: Float
    private let decayRatio: Float
    private let releaseRatio: Float

    init(_ adsr: ADSR, sampleRate: Double) {
        attackStep = Float(1 / max(1, adsr.attack * sampleRate))
        sustain = Float(adsr.sustain)
        decayRatio = Envelope.ratio(seconds: adsr.decay, sampleRate: sampleRate)
        releaseRatio = Envelope.ratio(seconds: adsr.release, sampleRate: sampleRate)
    }

    private static func ratio(seconds: Double, sampleRate: Double) -> Float {
        Float(exp(-timeConstantsPerStage / max(1, seconds * sampleRate)))
    }

    mutating func release() {
        stage = .released
    }

    @inline(__always)
    mutating func next() -> Float {
        switch stage {
        case .attack:
            level += attackStep
            if level >= 1 {
                level = 1
                stage = .decay
            }
        case .decay:
            level = sustain + (level - sustain) * decayRatio
        case .released:
            level *= releaseRatio
        }
        return level
    }
}
