/// A consumed message, copied out of librdkafka so it can outlive the poll that returned it.
///
/// Key and value are slices of one buffer per fetched batch (see `ConsumedBatch`): a message
/// costs no allocation of its own, and the buffer lives as long as any of its slices. Decoders
/// take the slices as they are (`WireCodec.decode`, `Data(_:)`); `Array(_:)` copies one out.
public struct KafkaMessage: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: ArraySlice<UInt8>?
    public let value: ArraySlice<UInt8>
    /// The producer's or broker's timestamp, milliseconds since the epoch (nil if absent).
    public let timestamp: Int64?

    public init(
        topic: String, partition: Int32, offset: Int64, key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>, timestamp: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestamp: Int64?) {
        self.init(topic: topic, partition: partition, offset: offset, key: key?[...], value: value[...], timestamp: timestamp)
    }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

public struct TopicPartition: Sendable, Hashable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}
