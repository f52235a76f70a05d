import CRdKafka
import Foundation

/// `rd_kafka_topic_t` handles by name; creating one per message would cost a lock and a lookup
/// inside librdkafka each time.
final class TopicHandleCache: @unchecked Sendable {
    private let handle: RdKafkaHandle
    private let lock = NSLock()
    private var handles: [String: OpaquePointer] = [:]

    init(handle: RdKafkaHandle) { self.handle = handle }

    func handle(for topic: String) throws -> OpaquePointer {
        lock.lock(); defer { lock.unlock() }
        if let existing = handles[topic] { return existing }
        guard let created = rd_kafka_topic_new(handle.pointer, topic, nil) else {
            throw KafkaError(rd_kafka_last_error(), operation: "opening topic \(topic)")
        }
        handles[topic] = created
        return created
    }

    func destroyAll() {
        lock.lock(); defer { lock.unlock() }
        for topicHandle in handles.values { rd_kafka_topic_destroy(topicHandle) }
        handles.removeAll()
    }
}
