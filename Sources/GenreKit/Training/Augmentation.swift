/// Training-time augmentation of one normalised window [nMels, W]: a random circular time shift,
/// then SpecAugment's frequency and time masks (Park et al. 2019), set to the window's mean (0).
public struct Augmentation: Sendable {
    public var timeMask: Int
    public var frequencyMask: Int
    /// Largest shift as a fraction of the window.
    public var timeShift: Double

    public init(timeMask: Int = 0, frequencyMask: Int = 0, timeShift: Double = 0) {
        self.timeMask = timeMask
        self.frequencyMask = frequencyMask
        self.timeShift = timeShift
    }

    public var isIdentity: Bool { timeMask == 0 && frequencyMask == 0 && timeShift == 0 }

    public func apply<R: RandomNumberGenerator>(to window: inout [Float], nMels: Int, width: Int, using rng: inout R) {
        precondition(window.count == nMels * width, "window is not [\(nMels), \(width)]")
        let maxShift = Int(timeShift * Double(width))
        if maxShift > 0 {
            let shift = Int.random(in: -maxShift...maxShift, using: &rng)
            if shift != 0 {
                let row = [Float](repeating: 0, count: width)
                var rotated = row
                for m in 0..<nMels {
                    for t in 0..<width { rotated[((t + shift) % width + width) % width] = window[m * width + t] }
                    window.replaceSubrange((m * width)..<((m + 1) * width), with: rotated)
                }
            }
        }
        if frequencyMask > 0 {
            let span = Int.random(in: 0...min(frequencyMask, nMels), using: &rng)
            let first = Int.random(in: 0...(nMels - span), using: &rng)
            for m in first..<(first + span) {
                for t in 0..<width { window[m * width + t] = 0 }
            }
        }
        if timeMask > 0 {
            let span = Int.random(in: 0...min(timeMask, width), using: &rng)
            let first = Int.random(in: 0...(width - span), using: &rng)
            for m in 0..<nMels {
                for t in first..<(first + span) { window[m * width + t] = 0 }
            }
        }
    }
}
