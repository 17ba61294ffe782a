import Foundation

/// A tone as DSD: a 2nd-order sigma-delta modulator turns it into one-bit samples per channel,
/// written as a DSF file (Sony's "DSD Stream File" specification 1.01) or a DSDIFF one (Philips'
/// "DSD Interchange File Format" 1.5).
struct DSDTone {
    let dsdRate: Int
    /// Per channel, one value a sample: true for +1.
    let bits: [[Bool]]

    init(tone: Double, amplitude: Double, seconds: Double, dsdRate: Int, channels: Int) {
        self.dsdRate = dsdRate
        bits = (0..<channels).map { channel in
            var (first, second) = (0.0, 0.0)
            return (0..<Int(seconds * Double(dsdRate))).map { n in
                let x = amplitude * sin(2 * Double.pi * tone * Double(n) / Double(dsdRate) + Double(channel))
                let y: Double = second >= 0 ? 1 : -1
                first += x - y
                second += first - y
                return y > 0
            }
        }
    }

    /// Eight samples a byte, the first in the least (DSF) or most (DSDIFF) significant bit.
    private func byte(_ channel: Int, _ index: Int, leastSignificantFirst: Bool) -> UInt8 {
        (0..<8).reduce(0) { byte, k in
            let n = index * 8 + k
            guard n < bits[channel].count, bits[channel][n] else { return byte }
            return byte | UInt8(1) << (leastSignificantFirst ? k : 7 - k)
        }
    }

    private var bytesPerChannel: Int { (bits[0].count + 7) / 8 }

    /// DSF: blocks of 4096 bytes per channel, channel after channel, little-endian header fields.
    func dsf() -> [UInt8] {
        let block = 4096, channels = bits.count
        let blocks = (bytesPerChannel + block - 1) / block
        var data = [UInt8](repeating: 0, count: blocks * block * channels)
        for channel in 0..<channels {
            for i in 0..<bytesPerChannel { data[(i / block * channels + channel) * block + i % block] = byte(channel, i, leastSignificantFirst: true) }
        }
        func le(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let format = Array("fmt ".utf8) + le(52, 8) + le(1, 4) + le(0, 4) + le(channels == 2 ? 2 : 1, 4) + le(channels, 4)
            + le(dsdRate, 4) + le(1, 4) + le(bits[0].count, 8) + le(block, 4) + le(0, 4)
        let body = Array("data".utf8) + le(12 + data.count, 8) + data
        return Array("DSD ".utf8) + le(28, 8) + le(28 + format.count + body.count, 8) + le(0, 8) + format + body
    }

    /// DSDIFF: big-endian chunks; the samples byte-interleaved across channels.
    func dsdiff() -> [UInt8] {
        func be(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func chunk(_ id: String, _ body: [UInt8]) -> [UInt8] { Array(id.utf8) + be(body.count, 8) + body + (body.count % 2 == 1 ? [0] : []) }
        let names = ["SLFT", "SRGT", "C   ", "LFE ", "LS  ", "RS  "]
        let property = Array("SND ".utf8) + chunk("FS  ", be(dsdRate, 4))
            + chunk("CHNL", be(bits.count, 2) + names.prefix(bits.count).flatMap { Array($0.utf8) })
            + chunk("CMPR", Array("DSD ".utf8) + [14] + Array("not compressed".utf8) + [0])
        let samples = (0..<bytesPerChannel).flatMap { i in (0..<bits.count).map { byte($0, i, leastSignificantFirst: false) } }
        let form = Array("DSD ".utf8) + chunk("FVER", be(0x0105_0000, 4)) + chunk("PROP", property) + chunk("DSD ", samples)
        return chunk("FRM8", form)
    }
}
