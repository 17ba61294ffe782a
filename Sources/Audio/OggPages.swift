/// The pages of an Ogg file, walked by their headers (about 1 ms for an hour of Vorbis): enough
/// to tell a chained file (recordings joined end to end, each link opening with its own
/// beginning-of-stream pages, as radio recorders and `cat` make them) from one recording, and a
/// file cut off inside a page or zero-filled where pages should be (unfinished downloads) from a
/// whole one. libsndfile reads only a chain's first link and reports it as the whole file;
/// FFmpeg reads every link. Both read a cut-off or zero-filled file as a shorter recording.
struct OggPages {
    /// A page that begins a stream follows a page that does not.
    private(set) var chained = false
    /// The bytes the last page announces (header and body) and the bytes of it the file holds,
    /// when the file ends inside it.
    private(set) var cutPage: (announced: UInt64, held: UInt64)?
    /// Where the pages give way to zero bytes, and how many follow, when at least `zeroRun`:
    /// space a download client set aside and never filled (a damaged page is a few stray bytes).
    private(set) var zeros: (at: UInt64, count: UInt64)?
    static let zeroRun: UInt64 = 4096

    /// Walks `file` from its first byte to its end, or to bytes that are not a page (damage,
    /// a tag appended by a tagger that does not know Ogg), where the walk stops.
    init(_ file: RandomAccess) {
        let capture = Array("OggS".utf8)
        var (position, started) = (UInt64(0), false)
        var (piece, pieceStart): ([UInt8], UInt64) = ([], 0)
        while position < file.size {
            // A header is 27 bytes and a segment table of up to 255.
            if position < pieceStart || position + 27 + 255 > pieceStart + UInt64(piece.count) {
                (piece, pieceStart) = (file.read(at: position, count: 64 << 10) ?? [], position)
            }
            let at = Int(position - pieceStart), left = piece.count - at
            guard left > 0 else { return }
            guard piece[at..<at + min(4, left)].elementsEqual(capture.prefix(min(4, left))) else {
                let count = file.zeros(at: position)
                if count >= Self.zeroRun { zeros = (position, count) }
                return
            }
            guard left >= 27 else { cutPage = (27, UInt64(left)); return }
            guard piece[at + 4] == 0 else { return }
            let segments = Int(piece[at + 26])
            guard left >= 27 + segments else { cutPage = (UInt64(27 + segments), UInt64(left)); return }
            let beginsStream = piece[at + 5] & 0x02 != 0
            chained = chained || (beginsStream && started)
            started = started || !beginsStream
            let length = UInt64(27 + segments) + piece[at + 27..<at + 27 + segments].reduce(0) { $0 + UInt64($1) }
            if length > file.size - position { cutPage = (length, file.size - position); return }
            position += length
        }
    }
}
