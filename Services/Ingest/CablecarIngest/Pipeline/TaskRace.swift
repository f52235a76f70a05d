import Foundation

/// Waiting for a task with a time limit, without cancelling it: the prefetched batch must not
/// be lost because the pipeline did something else while it was on its way.
enum TaskRace {
    /// True when `task` finishes (returns or throws) within `timeout`.
    static func finishes<T: Sendable>(_ task: Task<T, any Error>, within timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                once.resume(false)
            }
            Task {
                _ = try? await task.value
                timer.cancel()
                once.resume(true)
            }
        }
    }
}

/// Resumes a continuation with the first answer only.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Bool, Never>?

    init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = continuation }

    func resume(_ value: Bool) {
        let pending: CheckedContinuation<Bool, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(returning: value)
    }
}
