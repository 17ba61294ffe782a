/// The pages of an Ogg file, walked by their headers: enough to tell a chained file (recordings
/// joined end to end, each link opening with its own beginning-of-stream pages, as radio
/// recorders and `cat` make them) from one recording. libsndfile reads only a chain's first link
/// and reports it as the whole file; FFmpeg reads every link.
enum OggPages {
    /// Whether a page that begins a stream follows a page that does not, before the walk reaches
    /// the end of `file` or bytes that are not a page (damage: the walk stops there).
    static func isChained(_ file: RandomAccess) -> Bool {
        var (position, started) = (UInt64(0), false)
        var (piece, pieceStart): ([UInt8], UInt64) = ([], 0)
        while file.size >= 27, position <= file.size - 27 {
            // A header is 27 bytes and a segment table of up to 255.
            if position < pieceStart || position + 27 + 255 > pieceStart + UInt64(piece.count) {
                (piece, pieceStart) = (file.read(at: position, count: 64 << 10) ?? [], position)
            }
            let at = Int(position - pieceStart)
            guard piece.count - at >= 27, piece[at..<at + 4].elementsEqual("OggS".utf8), piece[at + 4] == 0 else { return false }
            let segments = Int(piece[at + 26])
            guard piece.count - at >= 27 + segments else { return false }
            let beginsStream = piece[at + 5] & 0x02 != 0
            if beginsStream && started { return true }
            started = started || !beginsStream
            position += UInt64(27 + segments) + piece[at + 27..<at + 27 + segments].reduce(0) { $0 + UInt64($1) }
        }
        return false
    }
}
