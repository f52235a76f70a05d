import CablecarDomain
import Logging
import PostgresNIO

/// Where a raw message sits in Kafka: its identity for exactly-once accounting.
public struct MessagePosition: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// One ledger row: what became of one raw message.
struct LedgerEntry: Sendable {
    enum Outcome: String, Sendable { case accepted, rejected, duplicate }
    var position: MessagePosition
    var feed: Feed
    var outcome: Outcome
    var reason: RejectReason?
    var neighborhood: String?
    var eventTime: EpochMillis?
}

/// The ledger and the idempotency keys. Every statement takes whole batches as arrays
/// (`UNNEST`), bound as parameters, so a batch costs a few round trips, not one per record.
enum LedgerStore {
    /// The positions of `positions` that an earlier run already recorded (redeliveries), with
    /// the reason when that run rejected the message (nil: accepted or duplicate).
    ///
    /// A partition's messages are handled in offset order and each batch's ledger rows commit
    /// together, so a delivered offset at or below the highest one recorded for its partition
    /// was handled before. One index lookup per partition answers that; only the (rare) batches
    /// that hold redeliveries then read their rows.
    static func knownPositions(_ positions: [MessagePosition], on connection: PostgresConnection, logger: Logger) async throws
        -> [MessagePosition: RejectReason?]
    {
        guard !positions.isEmpty else { return [:] }
        var lowest: [String: (topic: String, partition: Int32, offset: Int64)] = [:]
        for position in positions {
            let key = "\(position.topic):\(position.partition)"
            if position.offset < lowest[key]?.offset ?? .max { lowest[key] = (position.topic, position.partition, position.offset) }
        }
        let partitionTopics = lowest.values.map(\.topic)
        let partitionNumbers = lowest.values.map(\.partition)
        var highest: [String: Int64] = [:]
        let maxima = try await connection.query(
            """
            SELECT b.topic, b.kafka_partition,
                   (SELECT max(l.kafka_offset) FROM ingest_ledger l WHERE l.topic = b.topic AND l.kafka_partition = b.kafka_partition)
            FROM UNNEST(\(partitionTopics)::text[], \(partitionNumbers)::int4[]) AS b(topic, kafka_partition)
            """, logger: logger)
        for try await (topic, partition, offset) in maxima.decode((String, Int32, Int64?).self) {
            if let offset { highest["\(topic):\(partition)"] = offset }
        }
        let redelivered = positions.filter { $0.offset <= highest["\($0.topic):\($0.partition)"] ?? -1 }
        guard !redelivered.isEmpty else { return [:] }
        let topics = redelivered.map(\.topic)
        let partitions = redelivered.map { Int32($0.partition) }
        let offsets = redelivered.map(\.offset)
        let rows = try await connection.query(
            """
            SELECT l.topic, l.kafka_partition, l.kafka_offset, l.reason
            FROM ingest_ledger l
            JOIN UNNEST(\(topics)::text[], \(partitions)::int4[], \(offsets)::int8[]) AS b(topic, kafka_partition, kafka_offset)
              ON l.topic = b.topic AND l.kafka_partition = b.kafka_partition AND l.kafka_offset = b.kafka_offset
            """, logger: logger)
        var known: [MessagePosition: RejectReason?] = [:]
        for try await (topic, partition, offset, reason) in rows.decode((String, Int32, Int64, String?).self) {
            known[MessagePosition(topic: topic, partition: partition, offset: offset)] = .some(reason.flatMap(RejectReason.init(rawValue:)))
        }
        return known
    }

    /// Inserts idempotency keys; returns the ones that were new (the others are duplicates of
    /// records accepted before, possibly before a restart).
    static func insertKeys(_ keys: [(feed: Feed, key: String)], on connection: PostgresConnection, logger: Logger) async throws
        -> Set<String>
    {
        guard !keys.isEmpty else { return [] }
        let feeds = keys.map(\.feed.rawValue)
        let values = keys.map(\.key)
        let rows = try await connection.query(
            """
            INSERT INTO ingest_dedup (feed, idempotency_key)
            SELECT * FROM UNNEST(\(feeds)::text[], \(values)::text[])
            ON CONFLICT DO NOTHING
            RETURNING feed, idempotency_key
            """, logger: logger)
        var inserted = Set<String>()
        for try await (feed, key) in rows.decode((String, String).self) { inserted.insert(feed + "|" + key) }
        return inserted
    }

    static func record(_ entries: [LedgerEntry], on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let topics = entries.map(\.position.topic)
        let partitions = entries.map { Int32($0.position.partition) }
        let offsets = entries.map(\.position.offset)
        let feeds = entries.map(\.feed.rawValue)
        let outcomes = entries.map(\.outcome.rawValue)
        // Arrays of optionals do not bind; '' and Int64.min stand for NULL and are mapped back below.
        let reasons = entries.map { $0.reason?.rawValue ?? "" }
        let neighborhoods = entries.map { $0.neighborhood ?? "" }
        let eventTimes = entries.map { $0.eventTime ?? Int64.min }
        try await connection.query(
            """
            INSERT INTO ingest_ledger (topic, kafka_partition, kafka_offset, feed, outcome, reason, neighborhood, event_time)
            SELECT t, p, o, f, oc, NULLIF(r, ''), NULLIF(n, ''), NULLIF(e, \(Int64.min))
            FROM UNNEST(\(topics)::text[], \(partitions)::int4[], \(offsets)::int8[], \(feeds)::text[],
                        \(outcomes)::text[], \(reasons)::text[], \(neighborhoods)::text[], \(eventTimes)::int8[])
                 AS u(t, p, o, f, oc, r, n, e)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}
