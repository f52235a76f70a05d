import CablecarDomain
import Foundation
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

/// What became of one raw message.
struct LedgerEntry: Sendable {
    enum Outcome: String, Sendable { case accepted, rejected, duplicate }
    var position: MessagePosition
    var feed: Feed
    var outcome: Outcome
    var reason: RejectReason?
    var neighborhood: String?
    var eventTime: EpochMillis?
    /// The message's Kafka timestamp: a batch range keeps its first message's, to tell a
    /// redelivery from a new incarnation of the partition (`retireRecreatedPartitions`).
    var timestamp: Int64? = nil
}

/// The ledger: which offsets each batch handled (`ingest_batches`), how many messages ended how
/// (`ingest_outcome_counts`) and the rejected messages one by one (`ingest_ledger`). Per
/// message, only a rejection costs an indexed row; the rest is a few rows per batch.
///
/// Every statement takes whole batches as arrays (`UNNEST`), bound as parameters.
package enum LedgerStore {
    /// The positions of `positions` that an earlier run already handled (redeliveries).
    ///
    /// A partition's messages are handled in offset order and each batch's rows commit
    /// together, so a delivered offset at or below the highest one recorded for its partition
    /// was handled before. One index lookup per partition answers that. (A redelivered
    /// rejection's reason is not read: its dead letter went into the outbox with the batch that
    /// counted it, and is not sent again.)
    static func redeliveredPositions(_ positions: [MessagePosition], on connection: PostgresConnection, logger: Logger) async throws
        -> Set<MessagePosition>
    {
        guard !positions.isEmpty else { return [] }
        let highest = try await highestHandled(Array(PartitionNamer.partitions(of: positions).values), on: connection, logger: logger)
        guard !highest.isEmpty else { return [] }
        var namer = PartitionNamer()
        return Set(positions.filter { $0.offset <= highest[namer.name(topic: $0.topic, partition: $0.partition)] ?? -1 })
    }

    /// Sets aside the ledger of partitions that were deleted and created again since they were
    /// counted (or lost with a broker that keeps topics in memory): their offsets start again at
    /// 0, so recorded positions now hold other messages, which `redeliveredPositions` would take for
    /// redeliveries and skip. `firsts` is each partition's lowest delivered offset in the batch
    /// with its message's timestamp: a recorded batch range starting at that offset with another
    /// first timestamp is a previous incarnation. Its ranges and rejection rows are renamed to
    /// `topic~retired-<now>` (kept for audit; the accounting counts are not per position).
    /// Returns the partitions set aside ("topic:partition").
    ///
    /// A replay of the very same records into the new incarnation (same offsets, same
    /// timestamps) is taken for redeliveries: those are duplicates of what was counted anyway.
    static func retireRecreatedPartitions(
        _ firsts: [(topic: String, partition: Int32, offset: Int64, timestamp: Int64)], now: EpochMillis,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [String] {
        guard !firsts.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT DISTINCT b.topic, b.kafka_partition
            FROM UNNEST(\(firsts.map(\.topic))::text[], \(firsts.map(\.partition))::int4[], \(firsts.map(\.offset))::int8[],
                        \(firsts.map(\.timestamp))::int8[]) AS m(topic, kafka_partition, first_offset, first_timestamp)
            JOIN ingest_batches b
              ON b.topic = m.topic AND b.kafka_partition = m.kafka_partition AND b.first_offset = m.first_offset
            WHERE b.first_timestamp IS NOT NULL AND b.first_timestamp <> m.first_timestamp
            """, logger: logger)
        var retired: [(topic: String, partition: Int32)] = []
        for try await (topic, partition) in rows.decode((String, Int32).self) { retired.append((topic, partition)) }
        guard !retired.isEmpty else { return [] }
        let suffix = "~retired-\(now)"
        try await connection.query(
            """
            WITH r AS (SELECT * FROM UNNEST(\(retired.map(\.topic))::text[], \(retired.map(\.partition))::int4[]) AS r(topic, kafka_partition)),
            batches AS (
                UPDATE ingest_batches b SET topic = b.topic || \(suffix) FROM r
                WHERE b.topic = r.topic AND b.kafka_partition = r.kafka_partition
            )
            UPDATE ingest_ledger l SET topic = l.topic || \(suffix) FROM r
            WHERE l.topic = r.topic AND l.kafka_partition = r.kafka_partition
            """, logger: logger)
        let names = retired.map { "\($0.topic):\($0.partition)" }.sorted()
        logger.warning(
            "Partitions start again at offsets already counted: they were created anew (topic deleted, or a broker that keeps topics in memory restarted). Their earlier ledger is set aside and their messages counted as new.",
            metadata: ["partitions": "\(names)", "retired_as": "\(suffix)"])
        return names
    }

    /// The highest offset any instance has handled, per partition ("topic:partition"; absent:
    /// none yet). One index lookup per partition.
    static func highestHandled(
        _ partitions: [(topic: String, partition: Int32)], on connection: PostgresConnection, logger: Logger
    ) async throws -> [String: Int64] {
        guard !partitions.isEmpty else { return [:] }
        var highest: [String: Int64] = [:]
        let maxima = try await connection.query(
            """
            SELECT b.topic, b.kafka_partition,
                   (SELECT max(r.last_offset) FROM ingest_batches r WHERE r.topic = b.topic AND r.kafka_partition = b.kafka_partition)
            FROM UNNEST(\(partitions.map(\.topic))::text[], \(partitions.map(\.partition))::int4[]) AS b(topic, kafka_partition)
            """, logger: logger)
        for try await (topic, partition, offset) in maxima.decode((String, Int32, Int64?).self) {
            if let offset { highest["\(topic):\(partition)"] = offset }
        }
        return highest
    }

    /// Serializes batches of the same partitions across instances: during a rebalance the old
    /// owner may still be writing a batch the new owner has fetched again. Taken first in the
    /// transaction, in a fixed order (no deadlocks), so the second sees the first's ranges.
    static func lockPartitions(_ positions: [MessagePosition], on connection: PostgresConnection, logger: Logger) async throws {
        let keys = PartitionNamer.partitions(of: positions).values.map { Self.lockKey(topic: $0.topic, partition: $0.partition) }.sorted()
        guard !keys.isEmpty else { return }
        try await connection.query(
            """
            SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM UNNEST(\(keys)::int8[]) WITH ORDINALITY AS u(k, n) ORDER BY n) s
            """, logger: logger)
    }

    /// A stable 64-bit key per partition (FNV-1a; Swift's `Hasher` is seeded per process).
    static func lockKey(topic: String, partition: Int32) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "cablecar-ingest|\(topic):\(partition)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Records one batch in one statement (a round trip per table cost more than the inserts):
    /// its offset range per partition, its outcome counts and its rejections.
    static func record(_ entries: [LedgerEntry], on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let ranges = Self.ranges(of: entries)
        let counts = Self.counts(of: entries)
        let rejections = entries.filter { $0.outcome == .rejected }
        // Arrays of optionals do not bind: '' (and Int64.min) stand for NULL, mapped back in SQL.
        try await connection.query(
            """
            WITH ranges AS (
                INSERT INTO ingest_batches (topic, kafka_partition, first_offset, last_offset, first_timestamp)
                SELECT t, p, f, l, NULLIF(ts, \(Int64.min))
                FROM UNNEST(\(ranges.map(\.topic))::text[], \(ranges.map(\.partition))::int4[],
                            \(ranges.map(\.first))::int8[], \(ranges.map(\.last))::int8[],
                            \(ranges.map { $0.firstTimestamp ?? Int64.min })::int8[]) AS u(t, p, f, l, ts)
                ON CONFLICT DO NOTHING
            ), counts AS (
                INSERT INTO ingest_outcome_counts (feed, neighborhood, outcome, reason, count)
                SELECT f, NULLIF(n, ''), o, NULLIF(r, ''), c
                FROM UNNEST(\(counts.map(\.key.feed.rawValue))::text[], \(counts.map(\.key.neighborhood))::text[],
                            \(counts.map(\.key.outcome.rawValue))::text[], \(counts.map { $0.key.reason?.rawValue ?? "" })::text[],
                            \(counts.map(\.count))::int4[]) AS u(f, n, o, r, c)
            )
            INSERT INTO ingest_ledger (topic, kafka_partition, kafka_offset, feed, outcome, reason, neighborhood, event_time)
            SELECT t, p, o, f, 'rejected', NULLIF(r, ''), NULLIF(n, ''), NULLIF(e, \(Int64.min))
            FROM UNNEST(\(rejections.map(\.position.topic))::text[], \(rejections.map(\.position.partition))::int4[],
                        \(rejections.map(\.position.offset))::int8[], \(rejections.map(\.feed.rawValue))::text[],
                        \(rejections.map { $0.reason?.rawValue ?? "" })::text[], \(rejections.map { $0.neighborhood ?? "" })::text[],
                        \(rejections.map { $0.eventTime ?? Int64.min })::int8[])
                 AS u(t, p, o, f, r, n, e)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    private static func ranges(of entries: [LedgerEntry])
        -> [(topic: String, partition: Int32, first: Int64, last: Int64, firstTimestamp: Int64?)]
    {
        var ranges: [String: (topic: String, partition: Int32, first: Int64, last: Int64, firstTimestamp: Int64?)] = [:]
        var namer = PartitionNamer()
        for entry in entries {
            let position = entry.position
            let key = namer.name(topic: position.topic, partition: position.partition)
            if var range = ranges[key] {
                if position.offset < range.first { (range.first, range.firstTimestamp) = (position.offset, entry.timestamp) }
                range.last = max(range.last, position.offset)
                ranges[key] = range
            } else {
                ranges[key] = (position.topic, position.partition, position.offset, position.offset, entry.timestamp)
            }
        }
        return Array(ranges.values)
    }

    private struct CountKey: Hashable {
        var feed: Feed
        var neighborhood: String
        var outcome: LedgerEntry.Outcome
        var reason: RejectReason?
    }

    private static func counts(of entries: [LedgerEntry]) -> [(key: CountKey, count: Int32)] {
        var counts: [CountKey: Int32] = [:]
        for entry in entries {
            counts[
                CountKey(feed: entry.feed, neighborhood: entry.neighborhood ?? "", outcome: entry.outcome, reason: entry.reason), default: 0
            ] += 1
        }
        return counts.map { ($0.key, $0.value) }
    }

    /// Messages handled so far (all outcomes), for progress checks.
    package static func handledCount(on client: PostgresClient, logger: Logger) async throws -> Int {
        let rows = try await client.query("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts", logger: logger)
        return Int(try await rows.decode(Int64.self).reduce(0, +))
    }
}
