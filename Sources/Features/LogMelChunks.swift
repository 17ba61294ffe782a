import Audio
import Files

extension LogMel {
    /// Streams a file's mel power in consecutive frame ranges — `body(firstFrame, [nMels, frames])`
    /// — equal to the whole-clip STFT's frames: each range is computed from the samples its frames
    /// cover, so only about `chunkFrames` frames of audio are held. Returns the sample count.
    @discardableResult
    public func melPowerChunks(source: AudioSource, chunkFrames: Int = 2048, _ body: (Int, Spectrogram) throws -> Void) throws -> Int {
        let features = parameters
        let audio = try AudioStream(source: source, sampleRate: features.sampleRate)
        let (hop, half, nFFT) = (features.hopLength, features.nFFT / 2, features.nFFT)
        let lead = (half + hop - 1) / hop  // frames whose window reaches before the first sample
        var samples: [Float] = []
        var samplesStart = 0  // index in the file of samples[0]
        var total = 0
        var nextFrame = 0

        func emit(frames count: Int?) throws {
            let first = max(0, nextFrame - lead)
            let end = count.map { (nextFrame + $0 - 1) * hop - half + nFFT } ?? total
            let stream = LogMelStream(self, expectedSamples: end - first * hop)
            stream.append(Array(samples[(first * hop - samplesStart)..<(end - samplesStart)]))
            let power = stream.finishPower()
            let skip = nextFrame - first
            let n = count ?? (power.frames - skip)
            try body(nextFrame, power.frames(skip..<(skip + n)))
            nextFrame += n
            let keepFrom = max(0, nextFrame - lead) * hop - samplesStart
            if keepFrom > 0 {
                samples.removeFirst(keepFrom)
                samplesStart += keepFrom
            }
        }

        while let block = try audio.next() {
            samples.append(contentsOf: block)
            total += block.count
            while (nextFrame + chunkFrames - 1) * hop - half + nFFT <= total { try emit(frames: chunkFrames) }
        }
        guard total > 0 else { throw FileError(path: source.name, problem: "holds no audio samples") }
        try emit(frames: nil)
        return total
    }
}
