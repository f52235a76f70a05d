import Synchronization

/// The bounded hand-off between the consumer's poll thread and the async iterator.
///
/// The poll thread stops fetching while the buffer is at capacity, so a slow handler holds
/// at most `capacity` messages here plus librdkafka's bounded prefetch.
final class MessageBuffer: Sendable {
    private struct Contents {
        var messages: [KafkaMessage] = []
        var waiter: CheckedContinuation<[KafkaMessage]?, any Error>?
        var terminal: Result<Void, KafkaError>?
    }

    /// What `takeAll` does once it has looked at the buffer, outside the lock.
    private enum Take {
        case deliver([KafkaMessage]?)
        case fail(KafkaError)
        case wait
    }

    private let contents = Mutex(Contents())
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var hasRoom: Bool { contents.withLock { $0.messages.count < capacity } }

    func append(_ batch: [KafkaMessage]) {
        guard !batch.isEmpty else { return }
        let waiter = contents.withLock { contents -> CheckedContinuation<[KafkaMessage]?, any Error>? in
            if let waiter = contents.waiter {
                contents.waiter = nil
                return waiter
            }
            contents.messages.append(contentsOf: batch)
            return nil
        }
        waiter?.resume(returning: batch)
    }

    /// Drops buffered messages of partitions this consumer no longer owns: their new owner will
    /// receive them from the last committed offset, so handling them here would only duplicate work.
    func drop(partitions: Set<TopicPartition>) -> Int {
        contents.withLock { contents in
            let before = contents.messages.count
            contents.messages.removeAll { partitions.contains(TopicPartition(topic: $0.topic, partition: $0.partition)) }
            return before - contents.messages.count
        }
    }

    /// Ends the sequence: normally (nil) or with an error the iterator throws.
    func finish(_ error: KafkaError?) {
        let (first, waiter) = contents.withLock { contents -> (Bool, CheckedContinuation<[KafkaMessage]?, any Error>?) in
            guard contents.terminal == nil else { return (false, nil) }
            contents.terminal = error.map { .failure($0) } ?? .success(())
            defer { contents.waiter = nil }
            return (true, contents.waiter)
        }
        guard first else { return }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// Everything buffered, waiting if empty; nil once finished.
    func takeAll() async throws -> [KafkaMessage]? {
        try await withCheckedThrowingContinuation { continuation in
            let take = contents.withLock { contents -> Take in
                if !contents.messages.isEmpty {
                    defer { contents.messages.removeAll(keepingCapacity: true) }
                    return .deliver(contents.messages)
                }
                switch contents.terminal {
                case .some(.success): return .deliver(nil)
                case .some(.failure(let error)): return .fail(error)
                case .none:
                    contents.waiter = continuation
                    return .wait
                }
            }
            switch take {
            case .deliver(let batch): continuation.resume(returning: batch)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }
}
