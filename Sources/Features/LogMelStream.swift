/// Incremental STFT → mel power: feed samples block by block, frames are computed as soon as
/// their window is complete, and only the mel output (not the audio) grows with the file.
public final class LogMelStream {
    private let logMel: LogMel
    private let fft: RealFFT
    private let nFFT: Int
    private let hop: Int
    /// Samples of the centre-padded signal not yet consumed by any frame.
    private var buffer: [Float]
    private var bufferStart = 0
    private var samplesSeen = 0
    private var framesDone = 0
    /// Mel power, frame-major [frames, nMels]; transposed once at the end.
    private var melByFrame: [Float] = []
    /// Power spectra of up to `lanes` frames, bin-major [bins][lanes].
    private var power: [Float]

    public init(_ logMel: LogMel, expectedSamples: Int = 0) {
        self.logMel = logMel
        nFFT = logMel.parameters.nFFT
        hop = logMel.parameters.hopLength
        fft = RealFFT(size: nFFT)
        buffer = [Float](repeating: 0, count: nFFT / 2)  // centre padding before the signal
        power = [Float](repeating: 0, count: (nFFT / 2 + 1) * Self.lanes)
        if expectedSamples > 0 {
            melByFrame.reserveCapacity(logMel.frameCount(length: expectedSamples) * logMel.parameters.nMels)
        }
    }

    public func append(_ samples: [Float]) {
        buffer.append(contentsOf: samples)
        samplesSeen += samples.count
        computeReadyFrames(limit: Int.max)
    }

    /// Pads the end, computes the last frames and returns the mel power [nMels, frames].
    public func finishPower() -> Spectrogram {
        buffer.append(contentsOf: repeatElement(0, count: nFFT / 2))
        let total = logMel.frameCount(length: samplesSeen)
        computeReadyFrames(limit: total)
        let nMels = logMel.parameters.nMels
        var values = [Float](repeating: 0, count: nMels * total)
        melByFrame.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for t in 0..<total {
                    for m in 0..<nMels { dst[m * total + t] = src[t * nMels + m] }
                }
            }
        }
        return Spectrogram(nMels: nMels, frames: total, values: values)
    }

    /// Frames projected onto the mel bands together, one per SIMD lane.
    private static let lanes = 8

    private func computeReadyFrames(limit: Int) {
        let nMels = logMel.parameters.nMels
        let bins = nFFT / 2 + 1
        let lanes = Self.lanes
        buffer.withUnsafeBufferPointer { signal in
            logMel.window.withUnsafeBufferPointer { window in
                logMel.filterbank.weights.withUnsafeBufferPointer { weights in
                    power.withUnsafeMutableBufferPointer { power in
                        while true {
                            // Up to `lanes` frames whose windows are complete: power spectra
                            // bin-major, [bins][lanes].
                            var count = 0
                            while count < lanes, framesDone + count < limit {
                                let start = (framesDone + count) * hop - bufferStart
                                guard start + nFFT <= signal.count else { break }
                                for i in 0..<nFFT { fft.input[i] = signal[start + i] * window[i] }
                                fft.execute()
                                for k in 0..<bins {
                                    let re = fft.output[2 * k], im = fft.output[2 * k + 1]
                                    power[k * lanes + count] = re * re + im * im
                                }
                                count += 1
                            }
                            guard count > 0 else { break }
                            // Each band's sum runs over its bins in ascending order in every
                            // lane, as a one-frame loop would: the same bits, eight frames a pass.
                            let first = melByFrame.count
                            melByFrame.append(contentsOf: repeatElement(0, count: count * nMels))
                            melByFrame.withUnsafeMutableBufferPointer { mel in
                                let powerLanes = UnsafeRawPointer(power.baseAddress!)
                                for m in 0..<nMels {
                                    let span = logMel.filterbank.spans[m]
                                    var sum = SIMD8<Float>(repeating: 0)
                                    let row = m * bins
                                    for k in span.start..<(span.start + span.count) {
                                        let p = powerLanes.loadUnaligned(fromByteOffset: k * lanes * 4, as: SIMD8<Float>.self)
                                        sum = sum + SIMD8(repeating: weights[row + k]) * p
                                    }
                                    for j in 0..<count { mel[first + j * nMels + m] = sum[j] }
                                }
                            }
                            framesDone += count
                            if count < lanes { break }
                        }
                    }
                }
            }
        }
        // Drop samples no later frame needs.
        let keepFrom = framesDone * hop - bufferStart
        if keepFrom > 1 << 16 {
            buffer.removeFirst(keepFrom)
            bufferStart += keepFrom
        }
    }
}
