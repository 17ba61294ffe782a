import Engine

/// Runs `body` once per instruction set this CPU supports, with that set active, and leaves the
/// detected set active afterwards.
public func forEachInstructionSet(_ body: (InstructionSet) -> Void) {
    defer { InstructionSet.active = InstructionSet.detected }
    for set in InstructionSet.supported {
        InstructionSet.active = set
        body(set)
    }
}
