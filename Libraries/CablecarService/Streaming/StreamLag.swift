import CablecarKafka

/// How far a consumer group is behind its topics, as Kafka's own tooling reports it: per
/// partition, the broker's end offset minus the group's committed offset (from 0 when the group
/// has committed nothing there), summed per topic. Zero means every message published so far
/// was handled and committed by some member of the group.
public struct StreamLag: Sendable, Codable, Equatable {
    public struct TopicLag: Sendable, Codable, Equatable {
        public var topic: String
        public var partitions: Int
        /// Messages published to the topic so far (the sum of its partitions' end offsets).
        public var endOffset: Int64
        /// Messages the group has handled and committed.
        public var committedOffset: Int64
        public var lag: Int64

        enum CodingKeys: String, CodingKey {
            case topic, partitions, lag
            case endOffset = "end_offset"
            case committedOffset = "committed_offset"
        }
    }

    public var worker: String
    public var group: String
    public var topics: [TopicLag]
    public var lag: Int64 { topics.reduce(0) { $0 + $1.lag } }

    enum CodingKeys: String, CodingKey {
        case worker, group, topics, lag
    }

    public init(worker: String, group: String, topics: [TopicLag]) {
        self.worker = worker
        self.group = group
        self.topics = topics
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        worker = try container.decode(String.self, forKey: .worker)
        group = try container.decode(String.self, forKey: .group)
        topics = try container.decode([TopicLag].self, forKey: .topics)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(worker, forKey: .worker)
        try container.encode(group, forKey: .group)
        try container.encode(topics, forKey: .topics)
        try container.encode(lag, forKey: .lag)
    }

    /// One topic's lag from its partitions' end offsets and the group's committed offsets.
    /// A committed offset that is missing or negative (librdkafka's "none") counts as 0, and one
    /// past the end (a topic recreated empty under a group that read the old one) as the end:
    /// lag is never negative.
    public static func topic(_ topic: String, ends: [Int32: Int64], committed: [TopicPartition: Int64]) -> TopicLag {
        var lag = TopicLag(topic: topic, partitions: ends.count, endOffset: 0, committedOffset: 0, lag: 0)
        for (partition, end) in ends {
            let end = max(end, 0)
            let done = min(max(committed[TopicPartition(topic: topic, partition: partition)] ?? 0, 0), end)
            lag.endOffset += end
            lag.committedOffset += done
            lag.lag += end - done
        }
        return lag
    }
}

/// Where a topic's partitions end on the broker.
public protocol TopicEnds: Sendable {
    /// The end offset of every partition of `topic`.
    func endOffsets(of topic: String, timeout: Duration) async throws -> [Int32: Int64]
}

extension KafkaAdmin: TopicEnds {}

/// A service part that consumes streams and can say how far behind it is (`GET /api/v1/stream`).
public protocol StreamLagReporting: Sendable {
    func lag() async throws -> StreamLag
}
