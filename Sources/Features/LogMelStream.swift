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
    /// Mel power, band-major: frame t of band m at `m * capacity + t`, so a finished stream of
    /// the expected length hands this array out as it is.
    private var mel: [Float]
    private var capacity: Int
    /// Power spectra of up to `lanes` frames, one after another [lanes][bins] as the FFT
    /// writes them, then bin-major [bins][lanes] for the mel projection.
    private var spectra: [Float]
    private var power: [Float]

    public init(_ logMel: LogMel, expectedSamples: Int = 0) {
        self.logMel = logMel
        nFFT = logMel.parameters.nFFT
        hop = logMel.parameters.hopLength
        fft = RealFFT(size: nFFT)
        buffer = [Float](repeating: 0, count: nFFT / 2)  // centre padding before the signal
        spectra = [Float](repeating: 0, count: (nFFT / 2 + 1) * Self.lanes)
        power = spectra
        capacity = expectedSamples > 0 ? logMel.frameCount(length: expectedSamples) : 256
        mel = [Float](repeating: 0, count: capacity * logMel.parameters.nMels)
    }

    public func append(_ samples: [Float]) {
        buffer.append(contentsOf: samples)
        samplesSeen += samples.count
        computeReadyFrames(limit: Int.max)
    }

    /// Pads the end, computes the last frames and hands over the mel power [nMels, frames];
    /// the stream is spent.
    public func finishPower() -> Spectrogram {
        buffer.append(contentsOf: repeatElement(0, count: nFFT / 2))
        let total = logMel.frameCount(length: samplesSeen)
        computeReadyFrames(limit: total)
        let nMels = logMel.parameters.nMels
        if capacity != total {
            // Rows move down to a stride of `total`, each to a place at or before its own.
            mel.withUnsafeMutableBufferPointer { mel in
                for m in stride(from: 1, to: nMels, by: 1) {
                    for t in 0..<total { mel[m * total + t] = mel[m * capacity + t] }
                }
            }
            mel.removeLast(mel.count - nMels * total)
        }
        // Handed over, not shared: the caller's dB conversion in place must not copy it.
        defer { mel = [] }
        return Spectrogram(nMels: nMels, frames: total, values: mel)
    }

    /// Room for `frames` frames in every band (a stream longer than announced).
    private func reserve(frames: Int) {
        guard frames > capacity else { return }
        let nMels = logMel.parameters.nMels
        let grown = max(frames, 2 * capacity)
        var wider = [Float](repeating: 0, count: grown * nMels)
        for m in 0..<nMels {
            wider[(m * grown)..<(m * grown + framesDone)] = mel[(m * capacity)..<(m * capacity + framesDone)]
        }
        mel = wider
        capacity = grown
    }

    /// Frames projected onto the mel bands together, one per SIMD lane.
    private static let lanes = 8

    private func computeReadyFrames(limit: Int) {
        let nMels = logMel.parameters.nMels
        let lanes = Self.lanes
        let bins = nFFT / 2 + 1
        buffer.withUnsafeBufferPointer { signal in
            logMel.window.withUnsafeBufferPointer { window in
                logMel.filterbank.packed.withUnsafeBufferPointer { weights in
                    spectra.withUnsafeMutableBufferPointer { spectra in
                    power.withUnsafeMutableBufferPointer { power in
                        while true {
                            // Up to `lanes` frames whose windows are complete: power spectra
                            // frame after frame, then bin-major, [bins][lanes] (the rows past
                            // `count` hold older frames, whose lanes are not stored).
                            var count = 0
                            while count < lanes, framesDone + count < limit {
                                let start = (framesDone + count) * hop - bufferStart
                                guard start + nFFT <= signal.count else { break }
                                for i in 0..<nFFT { fft.input[i] = signal[start + i] * window[i] }
                                fft.power(into: spectra.baseAddress! + count * bins)
                                count += 1
                            }
                            guard count > 0 else { break }
                            LaneTranspose.transpose(spectra.baseAddress!, rowStride: bins, count: bins, into: power.baseAddress!)
                            // Each band's sum runs over its bins in ascending order in every
                            // lane, as a one-frame loop would: the same bits, eight frames a pass.
                            reserve(frames: framesDone + count)
                            let capacity = self.capacity, first = framesDone
                            mel.withUnsafeMutableBufferPointer { mel in
                                let powerLanes = UnsafeRawPointer(power.baseAddress!)
                                let bands = UnsafeMutableRawPointer(mel.baseAddress!)
                                for m in 0..<nMels {
                                    let span = logMel.filterbank.spans[m]
                                    var sum = SIMD8<Float>(repeating: 0)
                                    for i in 0..<span.count {
                                        let p = powerLanes.loadUnaligned(fromByteOffset: (span.start + i) * lanes * 4, as: SIMD8<Float>.self)
                                        sum = sum + SIMD8(repeating: weights[span.offset + i]) * p
                                    }
                                    let at = m * capacity + first
                                    if count == lanes {
                                        bands.storeBytes(of: sum, toByteOffset: at * 4, as: SIMD8<Float>.self)
                                    } else {
                                        for j in 0..<count { mel[at + j] = sum[j] }
                                    }
                                }
                            }
                            framesDone += count
                            if count < lanes { break }
                        }
                    }
                    }
                }
            }
        }
        // Drop samples no later frame needs.
        let keepFrom = framesDone * hop - bufferStart
        if keepFrom > 1 << 14 {
            buffer.removeFirst(keepFrom)
            bufferStart += keepFrom
        }
    }
}
