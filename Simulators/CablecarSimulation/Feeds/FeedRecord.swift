import CablecarDomain

/// One raw message as it would travel on a `raw.*` topic.
///
/// `key` is the partition key: the segment id for loop and camera readings, the route id
/// for transit GPS, the neighborhood for weather and events. `value` is the WireCodec JSON
/// (or, for injected faults, deliberately broken bytes). `publishTime` is when the record
/// reaches the topic: after `eventTime`, by a transmission latency, and much later for
/// late or out-of-order faults. Records leave the simulation in `publishTime` order.
public struct FeedRecord: Sendable, Hashable {
    public var topic: Topic
    public var key: [UInt8]
    public var value: [UInt8]
    public var eventTime: EpochMillis
    public var publishTime: EpochMillis

    public init(topic: Topic, key: [UInt8], value: [UInt8], eventTime: EpochMillis, publishTime: EpochMillis) {
        self.topic = topic
        self.key = key
        self.value = value
        self.eventTime = eventTime
        self.publishTime = publishTime
    }

    public var keyString: String { String(decoding: key, as: UTF8.self) }
}

/// Where a replay delivers its records: a file, a Kafka producer, memory.
///
/// `publish` receives batches in publish-time order and may be called many times;
/// `finish` is called once after the last batch (flush and close there).
public protocol FeedSink: Sendable {
    func publish(_ records: [FeedRecord]) async throws
    func finish() async throws
}
