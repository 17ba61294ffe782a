import Basics
import Glibc

/// A value computed on a thread of its own; reading `value` waits for it.
final class Pending<Value>: @unchecked Sendable {
    private let condition = Condition()
    private var result: Value?

    init(_ value: Value) { result = value }

    init(computing work: @escaping @Sendable () -> Value) {
        DetachedThread.start { [self] in
            let value = work()
            condition.lock()
            result = value
            condition.broadcast()
            condition.unlock()
        }
    }

    var value: Value {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
