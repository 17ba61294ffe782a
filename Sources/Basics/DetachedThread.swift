import Glibc

/// A thread of its own for a body (a worker loop, a computation waited for later); nothing joins it.
public enum DetachedThread {
    /// Starts `body` on a new thread, named `name` when given (as `top -H` and `perf` show it;
    /// the kernel keeps 15 bytes).
    public static func start(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.nameThisThread()
            box.body()
            return nil
        }, context)
        precondition(started == 0, "cannot start a thread: \(String(cString: strerror(started)))")
        pthread_detach(thread)
    }

    private final class Box {
        let name: String?
        let body: @Sendable () -> Void
        init(name: String?, body: @escaping @Sendable () -> Void) { (self.name, self.body) = (name, body) }

        func nameThisThread() {
            guard let name else { return }
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            let bytes = Array(name.utf8.prefix(15))
            _ = write(fd, bytes, bytes.count)
            close(fd)
        }
    }
}
