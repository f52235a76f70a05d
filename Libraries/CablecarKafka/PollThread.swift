import Foundation

/// A dedicated thread that calls a blocking poll function until stopped. librdkafka delivers
/// callbacks only from inside poll calls, and those block, so they get their own thread
/// rather than a cooperative-pool task.
final class PollThread: @unchecked Sendable {
    private let lock = NSCondition()
    private var running = true
    private var finished = false

    init(name: String, poll: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while isRunning { poll() }
            lock.lock()
            finished = true
            lock.broadcast()
            lock.unlock()
        }
        thread.name = name
        thread.start()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Stops the loop and waits for the current poll call to return.
    func stop() {
        lock.lock()
        running = false
        while !finished { lock.wait() }
        lock.unlock()
    }
}
