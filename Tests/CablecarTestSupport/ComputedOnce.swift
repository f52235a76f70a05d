/// A value costly to compute (a simulated day), computed once, on a thread of its own, and shared
/// by every test that awaits it.
///
/// A `static let` computed in place runs on the concurrency pool, which has one thread per core
/// (two in CI) and serves every test of the process: two simulated days computed that way at the
/// start of a test run stalled every other test for 20 to 50 s, long enough for the clients of
/// in-process servers to time out. A test reading a `static let` that another test is still
/// computing blocks a pool thread too, waiting on its lock.
public final class ComputedOnce<Value: Sendable>: Sendable {
    private let task: Task<Value, any Error>

    public init(_ compute: @escaping @Sendable () throws -> Value) {
        task = Task { try await offThePool(compute) }
    }

    public var value: Value {
        get async throws { try await task.value }
    }
}
