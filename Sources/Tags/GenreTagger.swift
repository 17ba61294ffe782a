import Files
import Foundation

/// Writes genres into files' own tags and undoes journalled changes, one file at a time, each
/// through `SafeRewrite`.
public enum GenreTagger {
    /// The format and current genre fields of `path`.
    public static func read(_ path: String) throws -> (format: TagFormat, fields: FieldValues) {
        let file = try TagFile(path: path)
        return (file.format, file.genreFields())
    }

    /// Sets `path`'s genre fields to `fields` (missing keys removed) in a safe rewrite. `journal`
    /// (when given) receives the change — the fields read back from the edited copy — before
    /// the original is replaced. Returns the change; nil when the fields already held those
    /// values (nothing written).
    @discardableResult
    public static func write(_ path: String, fields: FieldValues, journal: TagJournal? = nil) throws -> TagChange? {
        let (format, before) = try read(path)
        let keys = GenreSchema(format).keys
        guard keys.contains(where: { before[$0] != fields[$0] }) else { return nil }
        var change = TagChange(path: path, format: format, before: before, after: [:])
        try SafeRewrite.rewrite(path, edit: { copy in
            let file = try TagFile(path: copy, typePath: path)
            guard file.format == format else { throw FileError(path: path, problem: "changed while it was tagged") }
            try file.setGenreFields(fields)
            try file.save()
            change.after = try TagFile(path: copy, typePath: path).genreFields()
        }, commit: {
            try journal?.record(change)
        })
        return change
    }

    /// Writes `labels` (most probable first) with their probabilities and the checkpoint id.
    @discardableResult
    public static func tag(_ path: String, labels: [String], probabilities: [Float], checkpointID: String,
                           journal: TagJournal? = nil) throws -> TagChange? {
        let (format, current) = try read(path)
        let target = GenreSchema(format).target(current: current, labels: labels, probabilities: probabilities, checkpointID: checkpointID)
        return try write(path, fields: target, journal: journal)
    }

    public enum UndoResult: Sendable, Equatable {
        /// The previous fields are back.
        case restored
        /// The file already held the previous fields.
        case alreadyRestored
    }

    /// Puts back the fields a change replaced, when the file still holds what it wrote.
    public static func undo(_ change: TagChange) throws -> UndoResult {
        let (format, current) = try read(change.path)
        guard format == change.format else {
            throw FileError(path: change.path, problem: "is now \(format.rawValue), the journal says \(change.format.rawValue); not restored")
        }
        let keys = GenreSchema(format).keys
        func same(_ a: FieldValues, _ b: FieldValues) -> Bool { keys.allSatisfy { a[$0] == b[$0] } }
        if same(current, change.before) { return .alreadyRestored }
        guard same(current, change.after) else {
            throw FileError(path: change.path, problem: "genre fields changed since they were tagged; not restored")
        }
        try write(change.path, fields: change.before)
        return .restored
    }
}
