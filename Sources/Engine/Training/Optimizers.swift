import Glibc

/// An optimiser updates parameters from their gradients, exactly as PyTorch's does, and keeps
/// its per-parameter state under "<parameter name>.<key>" (PyTorch's keys: `momentum_buffer`,
/// `exp_avg`, `exp_avg_sq`, `step`) so it can be checkpointed beside the weights.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    var state: [String: [Float]] { get set }
    /// One update of every trainable parameter that has a gradient.
    func step(_ parameters: [NamedParameter])
}

extension Optimizer {
    /// The state entry `name.key`, created with `initial` values on first use.
    func withState<R>(_ name: String, _ key: String, count: Int, initial: Float = 0,
                      _ body: (inout [Float], _ isNew: Bool) -> R) -> R {
        let fullName = name + "." + key
        let isNew = state[fullName] == nil
        var values = state.removeValue(forKey: fullName) ?? [Float](repeating: initial, count: count)
        defer { state[fullName] = values }
        return body(&values, isNew)
    }

    /// Trainable parameters that received a gradient, with their names.
    func updatable(_ parameters: [NamedParameter]) -> [(name: String, value: Tensor, grad: Tensor)] {
        parameters.compactMap { named in
            guard named.parameter.isTrainable, let grad = named.parameter.grad else { return nil }
            return (named.name, named.parameter.value, grad)
        }
    }
}

/// PyTorch's SGD (dampening 0): g += λ·p; b = g on the first step, else b = μ·b + g;
/// p −= lr·(g + μ·b) with Nesterov, else lr·b.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var state: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        (self.learningRate, self.momentum, self.nesterov, self.weightDecay) = (learningRate, momentum, nesterov, weightDecay)
    }

    public func step(_ parameters: [NamedParameter]) {
        for (name, value, grad) in updatable(parameters) {
            let p = value.data, g = grad.data
            guard momentum != 0 else {
                for i in 0..<value.count { p[i] -= learningRate * (g[i] + weightDecay * p[i]) }
                continue
            }
            withState(name, "momentum_buffer", count: value.count) { buffer, isNew in
                buffer.withUnsafeMutableBufferPointer { buffer in
                    let shared = UncheckedSendable((p, g, buffer.baseAddress!))
                    let (learningRate, momentum, nesterov, weightDecay) = (learningRate, momentum, nesterov, weightDecay)
                    // Element by element, so splitting across threads changes nothing.
                    Parallel.forEach(value.count, granularity: 64, work: value.count, minimumWork: Elementwise.minimumParallelCount) { range in
                        let (p, g, b) = shared.value
                        for i in range {
                            let decayed = g[i] + weightDecay * p[i]
                            b[i] = isNew ? decayed : momentum * b[i] + decayed
                            p[i] -= learningRate * (nesterov ? decayed + momentum * b[i] : b[i])
                        }
                    }
                }
            }
        }
    }
}

/// PyTorch's Adam, or AdamW with `decoupledWeightDecay` (p ·= 1 − lr·λ before the step instead
/// of g += λ·p). Bias corrections use each parameter's own step count.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public var state: [String: [Float]] = [:]

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
        (self.weightDecay, self.decoupledWeightDecay) = (weightDecay, decoupledWeightDecay)
    }

    /// AdamW as PyTorch defines it (weight decay 0.01 by default).
    public static func adamW(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                             weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step(_ parameters: [NamedParameter]) {
        for (name, value, grad) in updatable(parameters) {
            let step = withState(name, "step", count: 1) { count, _ in count[0] += 1; return Double(count[0]) }
            let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), step)))
            let correction2 = Float((1 - pow(Double(beta2), step)).squareRoot())
            let p = value.data, g = grad.data
            withState(name, "exp_avg", count: value.count) { average, _ in
                withState(name, "exp_avg_sq", count: value.count) { averageSquare, _ in
                    for i in 0..<value.count {
                        var gradient = g[i]
                        if decoupledWeightDecay {
                            p[i] *= 1 - learningRate * weightDecay
                        } else {
                            gradient += weightDecay * p[i]
                        }
                        average[i] += (gradient - average[i]) * (1 - beta1)
                        averageSquare[i] = beta2 * averageSquare[i] + (1 - beta2) * gradient * gradient
                        p[i] -= stepSize * average[i] / (averageSquare[i].squareRoot() / correction2 + epsilon)
                    }
                }
            }
        }
    }
}
