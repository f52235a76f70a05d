import Foundation
import Synchronization

/// An attempt that neither returned nor failed within its time limit.
public struct TimeLimitExceeded: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration

    public var description: String {
        "\(what) did not finish within \(limit); it was cancelled and is retried (a database or broker call that never answers)"
    }
}

/// Runs `operation` and returns what it returns, or throws `TimeLimitExceeded` once `limit` has
/// passed, or `AttemptOutlivedOutage` once `watch` saw its dependency go down and come back while
/// the operation still runs. Either way the operation is cancelled but not awaited: a call that
/// ignores cancellation (a connection lease that is never granted, a reply that never comes) must
/// not hold its caller, whose retry reloads state from the database anyway.
public func withTimeLimit<T: Sendable>(
    _ limit: Duration, _ what: @autoclosure () -> String, watching watch: OutageWatch? = nil,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let work = Task { try await operation() }
    let description = what()
    let exceeded = TimeLimitExceeded(what: description, limit: limit)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = FirstOutcome(continuation)
            let timer = Task {
                try await Task.sleep(for: limit)
                if outcome.resume(with: .failure(exceeded)) { work.cancel() }
            }
            let watcher = watch.map { watch in
                Task {
                    guard (try? await watch.outageEnded()) != nil else { return }
                    if outcome.resume(with: .failure(AttemptOutlivedOutage(what: description, grace: watch.grace))) { work.cancel() }
                }
            }
            Task {
                let result = await work.result
                timer.cancel()
                watcher?.cancel()
                outcome.resume(with: result)
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// Runs `operation` within `limit` in a task of its own, which the caller's cancellation does not
/// reach: the last words of a task being cancelled (handing a claimed request back, closing its
/// run), whose database calls the cancelled task itself would have refused.
public func withoutCancellation<T: Sendable>(
    within limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await Task { try await withTimeLimit(limit, what, operation) }.value
}

/// Resumes a continuation with the first of several outcomes; later ones are dropped.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// True when this outcome was the first.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let first = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        guard let first else { return false }
        first.resume(with: result)
        return true
    }
}
