import Foundation
import Synchronization

/// Keeps every record in memory, for tests and benchmarks.
public final class MemoryFeedSink: FeedSink, Sendable {
    private let stored = Mutex<[FeedRecord]>([])
    private let finished = Mutex(false)

    public init() {}

    public func publish(_ records: [FeedRecord]) async throws {
        stored.withLock { $0.append(contentsOf: records) }
    }

    public func finish() async throws {
        finished.withLock { $0 = true }
    }

    public var records: [FeedRecord] { stored.withLock { $0 } }
    public var isFinished: Bool { finished.withLock { $0 } }
}
