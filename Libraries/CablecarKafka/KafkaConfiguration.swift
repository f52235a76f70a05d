/// Settings shared by producers, consumers and the admin client.
///
/// `extra` passes any librdkafka property through unchanged, for tuning that this type does
/// not name (see librdkafka's CONFIGURATION.md).
public struct KafkaClientConfiguration: Sendable, Equatable {
    /// Comma-separated `host:port` list.
    public var brokers: String
    public var clientID: String
    public var extra: [String: String]

    public init(brokers: String, clientID: String = "cablecar", extra: [String: String] = [:]) {
        self.brokers = brokers
        self.clientID = clientID
        self.extra = extra
    }

    var properties: [String: String] {
        var properties = [
            "bootstrap.servers": brokers, "client.id": clientID,
            // Topics that disappear and come back (a broker that keeps them in memory restarts)
            // are seen within seconds rather than after the default 5 minutes.
            "topic.metadata.refresh.interval.ms": "5000",
        ]
        properties.merge(extra) { _, new in new }
        return properties
    }
}

public struct KafkaProducerConfiguration: Sendable, Equatable {
    public var client: KafkaClientConfiguration
    /// How long librdkafka waits to fill a batch; higher favors throughput over latency.
    public var lingerMilliseconds: Int
    public var batchSize: Int
    /// After this long without a delivery report a send fails with `_MSG_TIMED_OUT`,
    /// so an unreachable broker surfaces as an error instead of a hang.
    public var deliveryTimeoutMilliseconds: Int
    /// Exactly-once per partition within a producer session (no duplicates from retries).
    public var idempotent: Bool
    public var compression: String

    public init(
        client: KafkaClientConfiguration, lingerMilliseconds: Int = 5, batchSize: Int = 1_000_000,
        deliveryTimeoutMilliseconds: Int = 30_000, idempotent: Bool = true, compression: String = "lz4"
    ) {
        self.client = client
        self.lingerMilliseconds = lingerMilliseconds
        self.batchSize = batchSize
        self.deliveryTimeoutMilliseconds = deliveryTimeoutMilliseconds
        self.idempotent = idempotent
        self.compression = compression
    }

    var properties: [String: String] {
        var properties: [String: String] = [
            "linger.ms": String(lingerMilliseconds),
            "batch.size": String(batchSize),
            "message.timeout.ms": String(deliveryTimeoutMilliseconds),
            "enable.idempotence": idempotent ? "true" : "false",
            "compression.codec": compression,
            // Same key → partition mapping as the Java client, so mixed-language producers agree.
            "partitioner": "murmur2_random",
            "log.queue": "true",
        ]
        properties.merge(client.properties) { _, new in new }
        return properties
    }
}

public struct KafkaConsumerConfiguration: Sendable, Equatable {
    public enum OffsetReset: String, Sendable { case earliest, latest }

    public var client: KafkaClientConfiguration
    public var groupID: String
    public var offsetReset: OffsetReset
    /// Messages held in process before the poll loop stops fetching: the backpressure bound.
    public var bufferCapacity: Int
    /// librdkafka's own prefetch bound per partition queue, in KiB.
    public var prefetchKilobytes: Int
    /// How long the group waits for a member that stopped heartbeating (killed, not closed)
    /// before its partitions go to others. 6 s is the broker-side minimum Kafka accepts by
    /// default; a member that closes leaves the group at once.
    public var sessionTimeoutMilliseconds: Int
    /// Processed offsets are committed in the background this often (and on close and revoke).
    public var commitIntervalMilliseconds: Int
    /// Static membership (`group.instance.id`, KIP-345): a member that comes back under the same
    /// id within the session timeout gets its partitions back without a rebalance, where a new
    /// member waits out the dead one's session. The id must be unique among the group's live
    /// members and stable across restarts of one instance; nil: dynamic membership.
    public var groupInstanceID: String?

    public init(
        client: KafkaClientConfiguration, groupID: String, offsetReset: OffsetReset = .earliest,
        bufferCapacity: Int = 10_000, prefetchKilobytes: Int = 65_536, sessionTimeoutMilliseconds: Int = 6_000,
        commitIntervalMilliseconds: Int = 1_000, groupInstanceID: String? = nil
    ) {
        self.groupInstanceID = groupInstanceID
        self.client = client
        self.groupID = groupID
        self.offsetReset = offsetReset
        self.bufferCapacity = bufferCapacity
        self.prefetchKilobytes = prefetchKilobytes
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.commitIntervalMilliseconds = commitIntervalMilliseconds
    }

    var properties: [String: String] {
        var properties: [String: String] = [
            "group.id": groupID,
            "auto.offset.reset": offsetReset.rawValue,
            // At-least-once: the consumer commits only offsets the caller marked processed,
            // itself, so that nothing else (not even client shutdown) commits on its behalf.
            "enable.auto.offset.store": "false",
            "enable.auto.commit": "false",
            "queued.max.messages.kbytes": String(prefetchKilobytes),
            "session.timeout.ms": String(sessionTimeoutMilliseconds),
            "heartbeat.interval.ms": String(max(100, sessionTimeoutMilliseconds / 4)),
            "enable.partition.eof": "false",
            // Log lines are queued for the client's poll calls instead of being delivered on
            // librdkafka's internal threads: those run until the handle is destroyed, also while
            // the process exits, and a callback into Swift then crashed shutdowns (a broker
            // restart makes them log a lot). The admin client keeps librdkafka's stderr logger.
            "log.queue": "true",
        ]
        if let groupInstanceID { properties["group.instance.id"] = groupInstanceID }
        properties.merge(client.properties) { _, new in new }
        return properties
    }
}
