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

    /// Ends the loop after the poll call under way, without waiting for it.
    func requestStop() {
        lock.lock()
        running = false
        lock.unlock()
    }

    /// Ends the loop and waits for the poll call under way to return: blocks up to one poll's
    /// timeout, so only teardowns and blocking-pool work call it.
    func stop() {
        lock.lock()
        running = false
        while !finished { lock.wait() }
        lock.unlock()
    }
}
