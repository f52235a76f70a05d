import Foundation

/// Runs CPU-heavy synchronous work (a model fit, seconds long; decoding a model artifact) on a
/// thread of its own instead of one of the few threads that serve requests and consume streams:
/// the cooperative pool's, or the event loops' where those are the executor
/// (`EventLoopExecutor`).
public enum OffThePool {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
