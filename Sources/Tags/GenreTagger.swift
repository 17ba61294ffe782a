import Files
import Glibc

/// Writes genres into files' own tags and undoes journalled changes, one file at a time, each
/// through `SafeRewrite`.
public enum GenreTagger {
    /// The format and current genre fields of `path`.
    public static func read(_ path: String) throws -> TagState {
        try TagFile(path: path).state
    }

    /// Sets `path`'s genre fields to `fields` (missing keys removed) in a safe rewrite. `journal`
    /// (when given) receives the change — with the fields read back from the edited copy —
    /// before the original is replaced. Returns the change; nil when the fields already held
    /// those values (nothing written).
    @discardableResult
    public static func write(_ path: String, fields: FieldValues, journal: TagJournal? = nil) throws -> TagChange? {
        let current = try read(path)
        guard current.schema.keys.contains(where: { current.fields[$0] != fields[$0] }) else { return nil }
        var change = TagChange(path: path, format: current.format, before: current.fields, after: [:])
        try SafeRewrite.rewrite(path, edit: { copy in
            // TagLib writes through stdio: the file is closed (flushed) before it is read again.
            func edit() throws {
                let file = try TagFile(path: copy, typePath: path)
                // The decision was made on `current`; a file changed since then is not ours to overwrite.
                guard file.format == current.format, file.genreFields() == current.fields else { throw SafeRewrite.changedMeanwhile(path) }
                try file.setGenreFields(fields)
                try file.save()
            }
            try edit()
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
        let current = try read(path)
        let target = current.schema.target(current: current.fields, hasMirrorTag: current.hasMirrorTag, labels: labels,
                                           probabilities: probabilities, checkpointID: checkpointID)
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
        let current = try read(change.path)
        guard current.format == change.format else {
            throw FileError(path: change.path, problem: "is now \(current.format.rawValue), the journal says \(change.format.rawValue); not restored")
        }
        let keys = current.schema.keys
        func same(_ a: FieldValues, _ b: FieldValues) -> Bool { keys.allSatisfy { a[$0] == b[$0] } }
        if same(current.fields, change.before) { return .alreadyRestored }
        guard same(current.fields, change.after) else {
            throw FileError(path: change.path, problem: "genre fields changed since they were tagged; not restored")
        }
        try write(change.path, fields: change.before)
        return .restored
    }
}
