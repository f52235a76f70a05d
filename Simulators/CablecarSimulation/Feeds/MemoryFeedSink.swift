import Foundation

/// Keeps every record in memory, for tests and benchmarks.
public final class MemoryFeedSink: FeedSink, @unchecked Sendable {
    // NSLock rather than Synchronization.Mutex: the package still targets macOS 14.
    private let lock = NSLock()
    private var stored: [FeedRecord] = []
    private var finished = false

    public init() {}

    public func publish(_ records: [FeedRecord]) async throws {
        lock.withLock { stored.append(contentsOf: records) }
    }

    public func finish() async throws {
        lock.withLock { finished = true }
    }

    public var records: [FeedRecord] { lock.withLock { stored } }
    public var isFinished: Bool { lock.withLock { finished } }
}
