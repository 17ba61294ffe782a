/// The kits the genres play, as parameter ranges. Each reads as a description of the sound.
extension DrumKit {
    /// A miked acoustic kit: round kick, cracking snare, bright cymbals.
    public static let acoustic = DrumKit(
        kick: KickSound(startPitch: 110...160, endPitch: 50...62, pitchDrop: 0.02...0.04, decay: 0.12...0.22,
                        click: 0.2...0.5, drive: 0...0.2),
        snare: SnareSound(pitch: 170...220, shellDecay: 0.05...0.09, wireDecay: 0.12...0.2, wireTone: 2500...4500,
                          shell: 0.3...0.5, attack: 0...0.001),
        closedHat: CymbalSound(pitch: 320...420, decay: 0.035...0.06, brightness: 6000...8000, noise: 0.3...0.6, bell: 0...0),
        openHat: CymbalSound(pitch: 320...420, decay: 0.25...0.45, brightness: 5500...7500, noise: 0.3...0.6, bell: 0...0))

    /// Metal: a clicky, tight kick for fast double bass, a high ringing snare.
    public static let heavy = DrumKit(
        kick: KickSound(startPitch: 140...220, endPitch: 55...70, pitchDrop: 0.01...0.02, decay: 0.06...0.1,
                        click: 0.6...1, drive: 0.2...0.5),
        snare: SnareSound(pitch: 220...280, shellDecay: 0.06...0.1, wireDecay: 0.1...0.16, wireTone: 3500...5500,
                          shell: 0.4...0.6, attack: 0...0.001),
        closedHat: CymbalSound(pitch: 350...450, decay: 0.03...0.05, brightness: 7000...9000, noise: 0.3...0.5, bell: 0...0),
        openHat: CymbalSound(pitch: 350...450, decay: 0.3...0.5, brightness: 6000...8000, noise: 0.3...0.5, bell: 0...0),
        ride: CymbalSound(pitch: 320...400, decay: 0.8...1.2, brightness: 3000...4500, noise: 0.2...0.3, bell: 0.3...0.5))

    /// A drum machine in the 909 mould: a punchy long kick, clap, noisy hats.
    public static let machine = DrumKit(
        kick: KickSound(startPitch: 180...260, endPitch: 45...55, pitchDrop: 0.025...0.045, decay: 0.2...0.35,
                        click: 0.1...0.3, drive: 0.1...0.4),
        snare: SnareSound(pitch: 180...230, shellDecay: 0.04...0.07, wireDecay: 0.1...0.18, wireTone: 3000...5000,
                          shell: 0.25...0.4, attack: 0...0.001),
        closedHat: CymbalSound(pitch: 400...500, decay: 0.03...0.05, brightness: 7000...9000, noise: 0.6...0.9, bell: 0...0),
        openHat: CymbalSound(pitch: 400...500, decay: 0.15...0.3, brightness: 6500...8500, noise: 0.6...0.9, bell: 0...0))

    /// The 808 of hip-hop: a long booming sub kick, a fat snare, dark hats.
    public static let boom = DrumKit(
        kick: KickSound(startPitch: 90...140, endPitch: 40...50, pitchDrop: 0.04...0.08, decay: 0.35...0.7,
                        click: 0...0.2, drive: 0.2...0.5),
        snare: SnareSound(pitch: 150...190, shellDecay: 0.07...0.12, wireDecay: 0.15...0.25, wireTone: 1800...3000,
                          shell: 0.35...0.55, attack: 0...0.002),
        closedHat: CymbalSound(pitch: 300...380, decay: 0.03...0.05, brightness: 5000...6500, noise: 0.4...0.7, bell: 0...0),
        openHat: CymbalSound(pitch: 300...380, decay: 0.15...0.25, brightness: 5000...6500, noise: 0.4...0.7, bell: 0...0))

    /// Jazz: a small tuned kick, brushes on the snare, a washy ride.
    public static let brushes = DrumKit(
        kick: KickSound(startPitch: 90...120, endPitch: 60...75, pitchDrop: 0.02...0.03, decay: 0.1...0.18,
                        click: 0...0.1, drive: 0...0.1),
        snare: SnareSound(pitch: 180...230, shellDecay: 0.02...0.04, wireDecay: 0.12...0.25, wireTone: 2500...5000,
                          shell: 0...0.1, attack: 0.01...0.03),
        closedHat: CymbalSound(pitch: 300...380, decay: 0.03...0.05, brightness: 5000...7000, noise: 0.2...0.4, bell: 0...0),
        openHat: CymbalSound(pitch: 300...380, decay: 0.2...0.35, brightness: 4500...6500, noise: 0.2...0.4, bell: 0...0),
        ride: CymbalSound(pitch: 280...380, decay: 1.2...2.0, brightness: 2500...4000, noise: 0.25...0.45, bell: 0.1...0.25))

    /// Reggae: a deep soft kick, a high tight snare and a woody cross-stick.
    public static let dub = DrumKit(
        kick: KickSound(startPitch: 100...130, endPitch: 45...55, pitchDrop: 0.03...0.05, decay: 0.2...0.35,
                        click: 0...0.15, drive: 0...0.2),
        snare: SnareSound(pitch: 280...360, shellDecay: 0.04...0.07, wireDecay: 0.06...0.1, wireTone: 4000...6000,
                          shell: 0.45...0.65, attack: 0...0.001),
        rim: RimSound(pitch: 1400...2000, decay: 0.015...0.03),
        closedHat: CymbalSound(pitch: 330...420, decay: 0.04...0.07, brightness: 6000...8000, noise: 0.3...0.5, bell: 0...0),
        openHat: CymbalSound(pitch: 330...420, decay: 0.2...0.35, brightness: 5500...7500, noise: 0.3...0.5, bell: 0...0))
}
