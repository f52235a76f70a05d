import Foundation

/// Runs CPU-heavy synchronous work (model fitting, seconds long) on its own thread instead of
/// one of the few cooperative-pool threads the HTTP server and Kafka consumer need.
enum OffThePool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
