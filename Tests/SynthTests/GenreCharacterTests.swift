import Synth
import XCTest

/// The genres differ the way the tables say (tempo, onset density, brightness, distortion),
/// and no single global statistic tells them apart.
final class GenreCharacterTests: XCTestCase {
    /// Six 8-second clips per genre, rendered once for all tests.
    static let library: [String: [Clip]] = Dictionary(uniqueKeysWithValues: GenreStyle.all.map { style in
        (style.name, (0..<6).map { index in
            var random = SeededRandom(seed: 42, stream: style.name, index: index)
            return style.render(seconds: 8, random: &random)
        })
    })

    private func mean(_ genre: String, _ measure: ([Float]) -> Double) -> Double {
        let clips = Self.library[genre]!
        return clips.map { measure($0.samples) }.reduce(0, +) / Double(clips.count)
    }

    /// The music pulses at the tempo the generator chose: the tempogram has a sharp peak there,
    /// half as high again as 10–15 % either side and twice its typical level from 40 to 240 BPM.
    /// A clip off the grid, or a reported tempo the band did not play, fails.
    func testClipsPulseAtTheGeneratedTempo() {
        for style in GenreStyle.all where style.drums != nil {
            var report: [String] = []
            let matches = Self.library[style.name]!.filter { clip in
                let flux = SignalMeasures.onsetStrength(clip.samples)
                let atTempo = SignalMeasures.pulse(flux, bpm: clip.tempo)
                let nearby = [0.85, 0.9, 1.1, 1.15].map { SignalMeasures.pulse(flux, bpm: clip.tempo * $0) }.max()!
                let typical = stride(from: 40.0, through: 240, by: 1).map { SignalMeasures.pulse(flux, bpm: $0) }.sorted()[100]
                report.append(String(format: "%.0f BPM: ×%.1f nearby, ×%.1f typical", clip.tempo, atTempo / nearby, atTempo / typical))
                return atTempo > 1.5 * nearby && atTempo > 2 * typical
            }
            XCTAssertGreaterThanOrEqual(matches.count, 5, "\(style.name): \(report)")
        }
    }

    func testTempoRangesFollowTheTables() {
        for style in GenreStyle.all {
            for clip in Self.library[style.name]! {
                XCTAssertTrue(style.tempo.contains(clip.tempo), "\(style.name) at \(clip.tempo) BPM")
            }
        }
        XCTAssertLessThan(GenreStyle.reggae.tempo.upperBound, GenreStyle.metal.tempo.lowerBound)
    }

    func testAmbientHasFewerOnsetsThanHouse() {
        let ambient = mean("ambient", SignalMeasures.onsetRate)
        let house = mean("house", SignalMeasures.onsetRate)
        XCTAssertLessThan(ambient, 0.6 * house, "onsets per second: ambient \(ambient), house \(house)")
    }

    func testMetalIsBrighterAndMoreDistortedThanAmbient() {
        let treble = { (samples: [Float]) in SignalMeasures.bandShareDecibels(samples, 2000...11025) }
        let metalTreble = mean("metal", treble), ambientTreble = mean("ambient", treble)
        XCTAssertGreaterThan(metalTreble, ambientTreble + 6, "power above 2 kHz: metal \(metalTreble) dB, ambient \(ambientTreble) dB")
        let metalFlatness = mean("metal", SignalMeasures.flatness), ambientFlatness = mean("ambient", SignalMeasures.flatness)
        XCTAssertGreaterThan(metalFlatness, 1.5 * ambientFlatness, "flatness: metal \(metalFlatness), ambient \(ambientFlatness)")
    }

    func testLoudnessRangesOverlapAcrossGenres() {
        let ranges = Self.library.mapValues { clips in
            let levels = clips.map { SignalMeasures.rootMeanSquareDecibels($0.samples) }
            return levels.min()!...levels.max()!
        }
        for (first, a) in ranges {
            for (second, b) in ranges where first < second {
                XCTAssertTrue(a.overlaps(b), "RMS of \(first) \(a) and \(second) \(b) do not overlap")
            }
        }
        for (genre, clips) in Self.library {
            for clip in clips {
                XCTAssertLessThanOrEqual(clip.samples.map(abs).max()!, 0.98, "\(genre) clips at full scale")
            }
        }
    }

    /// Each statistic alone, with a nearest-genre-mean rule (leave one clip out), must do
    /// poorly: well under half right, where the genres are told apart by what is played.
    func testNoSingleGlobalStatisticSeparatesTheGenres() {
        let statistics: [(String, ([Float]) -> Double)] = [
            ("loudness", SignalMeasures.rootMeanSquareDecibels),
            ("below 150 Hz", { SignalMeasures.bandShareDecibels($0, 0...150) }),
            ("150–600 Hz", { SignalMeasures.bandShareDecibels($0, 150...600) }),
            ("600 Hz–2 kHz", { SignalMeasures.bandShareDecibels($0, 600...2000) }),
            ("2–5 kHz", { SignalMeasures.bandShareDecibels($0, 2000...5000) }),
            ("above 5 kHz", { SignalMeasures.bandShareDecibels($0, 5000...11025) }),
        ]
        let genres = GenreStyle.all.map(\.name)
        for (name, statistic) in statistics {
            let values = genres.map { genre in Self.library[genre]!.map { statistic($0.samples) } }
            var correct = 0, total = 0
            for (truth, clips) in values.enumerated() {
                for held in clips.indices {
                    let means = values.enumerated().map { genre, clipValues in
                        let kept = genre == truth ? clipValues.enumerated().filter { $0.offset != held }.map(\.element) : clipValues
                        return kept.reduce(0, +) / Double(kept.count)
                    }
                    let guess = means.indices.min { abs(means[$0] - clips[held]) < abs(means[$1] - clips[held]) }!
                    correct += guess == truth ? 1 : 0
                    total += 1
                }
            }
            let accuracy = Double(correct) / Double(total)
            XCTAssertLessThan(accuracy, 0.45, "\(name) alone classifies \(Int(100 * accuracy)) % of clips")
        }
    }
}
