import CablecarKafka
import CablecarService
import Foundation

/// A message source in memory, for the stream worker's logic: batches are pushed by the test,
/// marks are recorded, close and abandon end the wait as the Kafka consumer's do.
final class InMemoryMessageSource: MessageSource, @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [[KafkaMessage]] = []
    private var waiter: CheckedContinuation<[KafkaMessage]?, any Error>?
    private var ended = false
    private var marks: [KafkaMessage] = []
    private(set) var subscribed: [String] = []
    private var closes = 0
    private var abandoned = false
    private var isSettled = true

    var settled: Bool {
        get { lock.withLock { isSettled } }
        set { lock.withLock { isSettled = newValue } }
    }

    func push(_ batch: [KafkaMessage]) {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: batch)
            return
        }
        pending.append(batch)
        lock.unlock()
    }

    func subscribe(to topics: [String]) throws { lock.withLock { subscribed = topics } }

    func nextBatch() async throws -> [KafkaMessage]? {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if !pending.isEmpty {
                let batch = pending.removeFirst()
                lock.unlock()
                continuation.resume(returning: batch)
            } else if ended {
                lock.unlock()
                continuation.resume(returning: nil)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }

    func markProcessed(_ message: KafkaMessage) {
        lock.withLock {
            if !abandoned { marks.append(message) }
        }
    }

    /// Marks count as committed at once.
    func committedOffsets(of partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        lock.withLock {
            var offsets: [TopicPartition: Int64] = [:]
            for message in marks where partitions.contains(message.topicPartition) {
                offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? 0, message.offset + 1)
            }
            return offsets
        }
    }

    var groupID: String { "in-memory" }

    var assignment: Set<TopicPartition> { [TopicPartition(topic: "in", partition: 0)] }
    var rebalanceCount: Int { 0 }
    var hasSettledAssignment: Bool { settled }

    func close() async {
        lock.withLock { closes += 1 }
        end()
    }

    func abandon() {
        lock.withLock { abandoned = true }
        end()
    }

    private func end() {
        lock.lock()
        ended = true
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(returning: nil)
    }

    /// Offsets marked processed, in marking order.
    var markedOffsets: [Int64] { lock.withLock { marks.map(\.offset) } }
    var closeCount: Int { lock.withLock { closes } }
    var wasAbandoned: Bool { lock.withLock { abandoned } }

    static func batch(_ offsets: ClosedRange<Int64>) -> [KafkaMessage] {
        offsets.map { KafkaMessage(topic: "in", partition: 0, offset: $0, key: nil, value: Array("m\($0)".utf8), timestamp: nil) }
    }
}
