import CablecarDomain
import Crypto
import Foundation
import Logging
import PostgresNIO

/// The idempotency keys of accepted records, for duplicate detection across restarts.
///
/// Keys are stored as 16-byte digests (first half of sha256("feed|key")), grouped in one row per
/// feed and five-minute event-time bucket (`ingest_dedup_buckets.digests`, digests appended).
/// A batch then writes a handful of rows instead of one index entry per record. Every key but an
/// event's embeds the record's event time, so equal keys always fall in the same bucket; events
/// (id + status, no time) share bucket 0.
///
/// Buckets are read into memory on first use and kept there; the in-memory copy changes only
/// together with rows written in the caller's transaction (a failed transaction stops the
/// pipeline, and a restart reads the rows again). `invalidate()` drops the copy when partitions
/// move between instances, since another instance may have appended in the meantime.
struct DedupIndex: Sendable {
    struct Bucket: Hashable, Sendable {
        var feed: Feed
        var start: EpochMillis
    }

    private var loaded: [Bucket: Set<UUID>] = [:]
    /// The newest bucket start admitted per feed (what `evict` keeps buckets relative to).
    private var newest: [Feed: EpochMillis] = [:]
    /// The admission (counted by `admissions`) that last used each loaded bucket.
    private var lastUsed: [Bucket: Int] = [:]
    private var admissions = 0

    /// A record's place in the index: computed once per record, ahead of the transaction.
    struct Key: Sendable {
        var bucket: Bucket
        var digest: UUID

        init(of record: AcceptedRecord) {
            bucket = DedupIndex.bucket(of: record)
            digest = DedupIndex.digest(feed: record.feed, key: record.idempotencyKey)
        }
    }

    static func bucket(of record: AcceptedRecord) -> Bucket {
        if case .event = record { return Bucket(feed: .events, start: 0) }
        return Bucket(feed: record.feed, start: Interval.start(containing: record.eventTime))
    }

    static func digest(feed: Feed, key: String) -> UUID {
        var hasher = SHA256()
        hasher.update(data: Array(feed.rawValue.utf8))
        hasher.update(data: [UInt8(ascii: "|")])
        hasher.update(data: Array(key.utf8))
        return hasher.finalize().withUnsafeBytes { bytes in
            UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                ))
        }
    }

    mutating func invalidate() {
        loaded.removeAll()
        newest.removeAll()
        lastUsed.removeAll()
    }

    /// Forgets buckets that ended more than `retention` before the newest bucket admitted for
    /// their feed and that no recent batch used; they are read again if a record for them ever
    /// arrives. Per feed, since feeds are consumed at their own pace (a small feed read to its
    /// end early must not push out the buckets a large one is still filling), and kept while in
    /// use, since one feed's partitions may be hours apart while a backlog is read.
    mutating func evict(retention: Int64) {
        let recent = admissions - Self.recentAdmissions
        loaded = loaded.filter {
            $0.key.feed == .events || $0.key.start + retention >= newest[$0.key.feed] ?? $0.key.start || lastUsed[$0.key] ?? 0 > recent
        }
        lastUsed = lastUsed.filter { loaded[$0.key] != nil }
    }

    func isLoaded(_ bucket: Bucket) -> Bool { loaded[bucket] != nil }

    /// How many admissions a bucket stays loaded after its last use, however old it is.
    static let recentAdmissions = 8

    /// Marks each record first-seen (true) or duplicate (false), within the batch and against
    /// every record accepted before, and appends the first-seen digests in `connection`'s
    /// transaction.
    mutating func admit(_ records: [AcceptedRecord], on connection: PostgresConnection, logger: Logger) async throws -> [Bool] {
        try await admit(keys: records.map(Key.init(of:)), on: connection, logger: logger)
    }

    /// `admit` with the records' keys computed beforehand.
    mutating func admit(keys keyed: [Key], on connection: PostgresConnection, logger: Logger) async throws -> [Bool] {
        guard !keyed.isEmpty else { return [] }
        let buckets = Set(keyed.map(\.bucket))
        try await load(buckets.filter { loaded[$0] == nil }, on: connection, logger: logger)
        admissions += 1
        for bucket in buckets {
            newest[bucket.feed] = max(newest[bucket.feed] ?? bucket.start, bucket.start)
            lastUsed[bucket] = admissions
        }
        var fresh: [Bucket: [UUID]] = [:]
        var verdicts: [Bool] = []
        verdicts.reserveCapacity(keyed.count)
        for key in keyed {
            let (bucket, digest) = (key.bucket, key.digest)
            let isFirst = loaded[bucket, default: []].insert(digest).inserted
            if isFirst { fresh[bucket, default: []].append(digest) }
            verdicts.append(isFirst)
        }
        try await append(fresh, on: connection, logger: logger)
        return verdicts
    }

    private mutating func load(_ buckets: Set<Bucket>, on connection: PostgresConnection, logger: Logger) async throws {
        guard !buckets.isEmpty else { return }
        for bucket in buckets { loaded[bucket] = [] }
        let list = Array(buckets)
        let rows = try await connection.query(
            """
            SELECT d.feed, d.bucket, d.digests
            FROM ingest_dedup_buckets d
            JOIN UNNEST(\(list.map(\.feed.rawValue))::text[], \(list.map(\.start))::int8[]) AS b(feed, bucket)
              ON d.feed = b.feed AND d.bucket = b.bucket
            """, logger: logger)
        for try await (feedName, start, blob) in rows.decode((String, Int64, ByteBuffer).self) {
            guard let feed = Feed(rawValue: feedName) else { continue }
            let bytes = Array(buffer: blob)
            guard bytes.count % 16 == 0 else {
                throw IngestStorageError(
                    "ingest_dedup_buckets row (\(feedName), \(start)) holds \(bytes.count) bytes, not a multiple of 16")
            }
            var digests = Set<UUID>(minimumCapacity: bytes.count / 16)
            var offset = 0
            while offset < bytes.count {
                let b = bytes[offset..<(offset + 16)].map { $0 }
                digests.insert(
                    UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
                offset += 16
            }
            loaded[Bucket(feed: feed, start: start)] = digests
        }
    }

    private func append(_ fresh: [Bucket: [UUID]], on connection: PostgresConnection, logger: Logger) async throws {
        guard !fresh.isEmpty else { return }
        // A bucket row holds keys from every partition of its feed, which other instances may be
        // appending to as well: rows in one global order, so two transactions never deadlock.
        let entries = fresh.sorted { ($0.key.feed.rawValue, $0.key.start) < ($1.key.feed.rawValue, $1.key.start) }
        // bytea[] does not bind from [[UInt8]]; base64 text decoded by Postgres keeps it parameterized.
        let blobs = entries.map { entry in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(entry.value.count * 16)
            for digest in entry.value { withUnsafeBytes(of: digest.uuid) { bytes.append(contentsOf: $0) } }
            return Data(bytes).base64EncodedString()
        }
        try await connection.query(
            """
            INSERT INTO ingest_dedup_buckets AS d (feed, bucket, digests)
            SELECT f, b, decode(x, 'base64')
            FROM UNNEST(\(entries.map(\.key.feed.rawValue))::text[], \(entries.map(\.key.start))::int8[], \(blobs)::text[]) AS u(f, b, x)
            ON CONFLICT (feed, bucket) DO UPDATE SET digests = d.digests || excluded.digests
            """, logger: logger)
    }
}
