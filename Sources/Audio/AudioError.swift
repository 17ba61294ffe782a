import Files

/// Decoding and encoding errors name the file and the cause.
public typealias AudioError = FileError
