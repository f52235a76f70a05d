import CRdKafka

/// Copies what one poll round returned out of librdkafka: every key and value into one buffer,
/// each message a slice of it.
///
/// One allocation per batch instead of two per message: on two cores the poll thread, the
/// handler and librdkafka's broker thread share the machine, and per-message allocations (made
/// here, freed on the handler's thread) were the wrapper's largest cost over a plain client.
enum ConsumedBatch {
    /// Takes librdkafka's pointers, not copies: `rd_kafka_message_timestamp` finds the timestamp
    /// in the message's enclosing internal struct, so a copied `rd_kafka_message_t` yields garbage.
    /// The caller destroys the messages afterwards.
    static func copy(_ raws: [UnsafeMutablePointer<rd_kafka_message_t>]) -> [KafkaMessage] {
        guard !raws.isEmpty else { return [] }
        var total = 0
        for raw in raws { total += raw.pointee.len + (raw.pointee.key == nil ? 0 : raw.pointee.key_len) }
        let storage = [UInt8](unsafeUninitializedCapacity: max(total, 1)) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            var position = 0
            for raw in raws {
                let message = raw.pointee
                if let key = message.key, message.key_len > 0 {
                    UnsafeMutableRawPointer(base + position).copyMemory(from: key, byteCount: message.key_len)
                    position += message.key_len
                }
                if let payload = message.payload, message.len > 0 {
                    UnsafeMutableRawPointer(base + position).copyMemory(from: payload, byteCount: message.len)
                    position += message.len
                }
            }
            count = position
        }
        // One String per topic per batch, not per message; messages come in runs of one
        // topic, so the last one answers without a hash.
        var topicNames: [OpaquePointer: String] = [:]
        var lastTopic: (handle: OpaquePointer, name: String)?
        var messages: [KafkaMessage] = []
        messages.reserveCapacity(raws.count)
        var position = 0
        for raw in raws {
            let message = raw.pointee
            var topic = ""
            if let rkt = message.rkt {
                if let last = lastTopic, last.handle == rkt {
                    topic = last.name
                } else if let known = topicNames[rkt] {
                    topic = known
                } else {
                    topic = String(cString: rd_kafka_topic_name(rkt))
                    topicNames[rkt] = topic
                }
                lastTopic = (rkt, topic)
            }
            var key: ArraySlice<UInt8>?
            if message.key != nil {
                key = storage[position..<position + message.key_len]
                position += message.key_len
            }
            let payloadLength = message.payload == nil ? 0 : message.len
            let value = storage[position..<position + payloadLength]
            position += payloadLength
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
            messages.append(
                KafkaMessage(
                    topic: topic, partition: message.partition, offset: message.offset, key: key, value: value,
                    timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp))
        }
        return messages
    }
}
