/// File-path arithmetic on strings, with the meaning the tools' users know from the shell:
/// `/` separates components, trailing slashes do not make a component. It works on Unicode
/// scalars, not characters: a name may start with a combining mark, which would make one
/// character of the `/` before it.
public enum Path {
    private typealias Scalars = Substring.UnicodeScalarView
    private static let slash: Unicode.Scalar = "/", dot: Unicode.Scalar = "."

    /// `folder/name` (just `name` when `folder` is empty).
    public static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty { return name }
        return folder.unicodeScalars.last == slash ? folder + name : folder + "/" + name
    }

    /// The last component: `a/b.wav` → `b.wav`, `a/b/` → `b`, `/` → `/`.
    public static func lastComponent(_ path: String) -> String {
        String(lastComponent(withoutTrailingSlashes(path)))
    }

    /// Everything before the last component: `a/b.wav` → `a`, `/b` → `/`, `b` → ``.
    public static func parent(_ path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        guard let index = trimmed.lastIndex(of: slash) else { return "" }
        if index == trimmed.startIndex { return "/" }
        return String(withoutTrailingSlashes(String(trimmed[..<index])))
    }

    /// The last component's extension without the dot (`song.M4A` → `M4A`); empty when there is
    /// none or the name only starts with a dot (`.hidden`).
    public static func fileExtension(_ path: String) -> String {
        let name = lastComponent(withoutTrailingSlashes(path))
        guard let index = name.lastIndex(of: dot), index != name.startIndex else { return "" }
        return String(name[name.index(after: index)...])
    }

    /// The last component without its extension: `a/b.tar.gz` → `b.tar`, `a/.hidden` → `.hidden`, `b.` → `b`.
    public static func stem(_ path: String) -> String {
        let name = lastComponent(withoutTrailingSlashes(path))
        guard let index = name.lastIndex(of: dot), index != name.startIndex else { return String(name) }
        return String(name[..<index])
    }

    /// Whether a name is hidden (starts with a dot), as `ls` and file managers take it.
    public static func isHidden(_ name: String) -> Bool { name.unicodeScalars.first == dot }

    private static func lastComponent(_ trimmed: Scalars) -> Scalars {
        if trimmed.elementsEqual([slash]) { return trimmed }
        guard let index = trimmed.lastIndex(of: slash) else { return trimmed }
        return trimmed[trimmed.index(after: index)...]
    }

    private static func withoutTrailingSlashes(_ path: String) -> Scalars {
        var path = Substring(path).unicodeScalars
        while path.count > 1, path.last == slash { path = path.dropLast() }
        return path
    }
}
