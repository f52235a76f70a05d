import CRdKafka
import Foundation
import Synchronization

/// `rd_kafka_topic_t` handles by name; creating one per message would cost a lock and a lookup
/// inside librdkafka each time.
final class TopicHandleCache: Sendable {
    /// librdkafka's topic handles are thread-safe; the pointers only need a Sendable wrapper.
    private struct Handles: @unchecked Sendable {
        var byName: [String: OpaquePointer] = [:]
    }

    private let handle: RdKafkaHandle
    private let handles = Mutex(Handles())

    init(handle: RdKafkaHandle) { self.handle = handle }

    func handle(for topic: String) throws -> OpaquePointer {
        try handles.withLock { handles throws(KafkaError) -> OpaquePointer in
            if let existing = handles.byName[topic] { return existing }
            guard let created = rd_kafka_topic_new(handle.pointer, topic, nil) else {
                throw KafkaError(rd_kafka_last_error(), operation: "opening topic \(topic)")
            }
            handles.byName[topic] = created
            return created
        }
    }

    func destroyAll() {
        handles.withLock { handles in
            for topicHandle in handles.byName.values { rd_kafka_topic_destroy(topicHandle) }
            handles.byName.removeAll()
        }
    }
}
