import Foundation

/// The bounded hand-off between the consumer's poll thread and the async iterator.
///
/// The poll thread stops fetching while the buffer is at capacity, so a slow handler holds
/// at most `capacity` messages here plus librdkafka's bounded prefetch.
final class MessageBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [KafkaMessage] = []
    private var waiter: CheckedContinuation<[KafkaMessage]?, any Error>?
    private var terminal: Result<Void, KafkaError>?
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var hasRoom: Bool {
        lock.lock(); defer { lock.unlock() }
        return messages.count < capacity
    }

    func append(_ batch: [KafkaMessage]) {
        guard !batch.isEmpty else { return }
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: batch)
            return
        }
        messages.append(contentsOf: batch)
        lock.unlock()
    }

    /// Drops buffered messages of partitions this consumer no longer owns: their new owner will
    /// receive them from the last committed offset, so handling them here would only duplicate work.
    func drop(partitions: Set<TopicPartition>) -> Int {
        lock.lock(); defer { lock.unlock() }
        let before = messages.count
        messages.removeAll { partitions.contains(TopicPartition(topic: $0.topic, partition: $0.partition)) }
        return before - messages.count
    }

    /// Ends the sequence: normally (nil) or with an error the iterator throws.
    func finish(_ error: KafkaError?) {
        lock.lock()
        guard terminal == nil else { lock.unlock(); return }
        terminal = error.map { .failure($0) } ?? .success(())
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// Everything buffered, waiting if empty; nil once finished.
    func takeAll() async throws -> [KafkaMessage]? {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if !messages.isEmpty {
                let batch = messages
                messages.removeAll(keepingCapacity: true)
                lock.unlock()
                continuation.resume(returning: batch)
                return
            }
            switch terminal {
            case .some(.success):
                lock.unlock()
                continuation.resume(returning: nil)
            case .some(.failure(let error)):
                lock.unlock()
                continuation.resume(throwing: error)
            case .none:
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
