import Glibc

/// A learning rate for each optimiser step (0-based), set before the step runs.
public protocol LearningRateSchedule: Sendable {
    func learningRate(step: Int) -> Float
}

/// Linear warm-up from peak/warmupSteps to `peak` over `warmupSteps`, then cosine decay to
/// `minimum` at `totalSteps`.
public struct CosineWithWarmup: LearningRateSchedule {
    public let peak: Float
    public let warmupSteps: Int
    public let totalSteps: Int
    public let minimum: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0) {
        precondition(totalSteps > warmupSteps && warmupSteps >= 0)
        (self.peak, self.warmupSteps, self.totalSteps, self.minimum) = (peak, warmupSteps, totalSteps, minimum)
    }

    public func learningRate(step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
        return minimum + (peak - minimum) * Float(0.5 * (1 + cos(.pi * progress)))
    }
}

/// PyTorch's StepLR: initial · gamma^⌊step / stepSize⌋.
public struct StepDecay: LearningRateSchedule {
    public let initial: Float
    public let stepSize: Int
    public let gamma: Float

    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0)
        (self.initial, self.stepSize, self.gamma) = (initial, stepSize, gamma)
    }

    public func learningRate(step: Int) -> Float {
        initial * pow(gamma, Float(step / stepSize))
    }
}

/// PyTorch's OneCycleLR (two phases, cosine annealing): from maximum/divFactor up to `maximum`
/// at step pctStart·totalSteps − 1, then down to maximum/divFactor/finalDivFactor at the last step.
public struct OneCycle: LearningRateSchedule {
    public let maximum: Float
    public let totalSteps: Int
    public let pctStart: Double
    public let divFactor: Float
    public let finalDivFactor: Float

    public init(maximum: Float, totalSteps: Int, pctStart: Double = 0.3, divFactor: Float = 25, finalDivFactor: Float = 1e4) {
        precondition(totalSteps > 1 && pctStart > 0 && pctStart < 1)
        (self.maximum, self.totalSteps, self.pctStart) = (maximum, totalSteps, pctStart)
        (self.divFactor, self.finalDivFactor) = (divFactor, finalDivFactor)
    }

    public func learningRate(step: Int) -> Float {
        let initial = maximum / divFactor
        let final = initial / finalDivFactor
        let peakStep = pctStart * Double(totalSteps) - 1
        let lastStep = Double(totalSteps - 1)
        let current = Double(min(step, totalSteps - 1))
        if current <= peakStep {
            return Self.anneal(from: initial, to: maximum, fraction: current / peakStep)
        }
        return Self.anneal(from: maximum, to: final, fraction: (current - peakStep) / (lastStep - peakStep))
    }

    static func anneal(from start: Float, to end: Float, fraction: Double) -> Float {
        end + (start - end) / 2 * Float(cos(.pi * fraction) + 1)
    }
}
