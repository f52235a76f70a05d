import CablecarDomain
import CablecarFeatures
import CablecarPostgres
import Logging
import PostgresNIO

/// Materialized feature rows: the offline store (every instant) and the online store (the
/// newest vector per segment).
package enum RowStore {
    /// Upserts rows into the offline store. Rewriting a row with the same content is a no-op in
    /// effect, which is what makes backfill idempotent.
    static func writeOffline(_ rows: [FeatureRow], featureSet: String, on connection: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        try await HistoryStore.ensurePartitions("feature_rows", for: rows.map(\.timestamp), on: connection, logger: logger)
        for chunk in stride(from: 0, to: rows.count, by: 5_000) {
            let part = rows[chunk..<min(rows.count, chunk + 5_000)]
            let ts = part.map(\.timestamp)
            let segments = part.map(\.segmentID)
            let neighborhoods = part.map(\.neighborhood)
            let vectors = part.map { VectorCodec.base64($0.values) }
            try await connection.query(
                """
                INSERT INTO feature_rows (ts, segment_id, neighborhood, feature_set, vals)
                SELECT t, s, n, \(featureSet), decode(v, 'base64')
                FROM UNNEST(\(ts)::int8[], \(segments)::text[], \(neighborhoods)::text[], \(vectors)::text[]) AS u(t, s, n, v)
                ON CONFLICT (ts, segment_id) DO UPDATE
                SET neighborhood = excluded.neighborhood, feature_set = excluded.feature_set, vals = excluded.vals
                WHERE (feature_rows.neighborhood, feature_rows.feature_set, feature_rows.vals)
                      IS DISTINCT FROM (excluded.neighborhood, excluded.feature_set, excluded.vals)
                """, logger: logger)
        }
    }

    /// Replaces each segment's online vector if `rows` are newer.
    package static func writeOnline(
        _ rows: [FeatureRow], featureSet: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        var newest: [String: FeatureRow] = [:]
        for row in rows where (newest[row.segmentID]?.timestamp ?? .min) < row.timestamp { newest[row.segmentID] = row }
        let latest = newest.values.sorted { $0.segmentID < $1.segmentID }
        try await connection.query(
            """
            INSERT INTO feature_online (segment_id, neighborhood, ts, feature_set, vals)
            SELECT s, n, t, \(featureSet), decode(v, 'base64')
            FROM UNNEST(\(latest.map(\.segmentID))::text[], \(latest.map(\.neighborhood))::text[], \(latest.map(\.timestamp))::int8[],
                        \(latest.map { VectorCodec.base64($0.values) })::text[]) AS u(s, n, t, v)
            ON CONFLICT (segment_id) DO UPDATE
            SET neighborhood = excluded.neighborhood, ts = excluded.ts, feature_set = excluded.feature_set, vals = excluded.vals,
                updated_at = now()
            WHERE excluded.ts >= feature_online.ts
            """, logger: logger)
    }

    /// The online vectors of `segments` (those that have one).
    static func readOnline(_ segments: [String], on client: PostgresClient, logger: Logger) async throws -> [String: StoredVector] {
        var result: [String: StoredVector] = [:]
        let rows = try await client.query(
            "SELECT segment_id, neighborhood, ts, feature_set, vals FROM feature_online WHERE segment_id = ANY(\(segments)::text[])",
            logger: logger)
        for try await (segment, neighborhood, ts, set, vals) in rows.decode((String, String, Int64, String, ByteBuffer).self) {
            result[segment] = StoredVector(segmentID: segment, neighborhood: neighborhood, timestamp: ts, featureSet: set, vals: vals)
        }
        return result
    }

    /// Offline rows of `[start, end)` on the `step` grid for `segments` (nil = all), in canonical
    /// order, with their labels; handed to `body` as they arrive (streamed, not collected).
    ///
    /// The read runs in one repeatable-read transaction, so a retrieval sees one consistent state
    /// however long it streams. For the whole city the labels are merge-joined: both tables are
    /// scanned in primary-key order, where per-row index lookups cost twice as much (the planner
    /// picks them because it cannot estimate the grid filter).
    package static func readRange(
        start: EpochMillis, end: EpochMillis, step: EpochMillis, segments: [String]?, featureSet: String, on client: PostgresClient,
        logger: Logger, _ body: (StoredRowCells) async throws -> Void
    ) async throws {
        let all = segments == nil
        let wanted = segments ?? []
        let everyInstant = step == Interval.lengthMillis
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            if all {
                try await connection.query("SET LOCAL enable_nestloop = off", logger: logger)
                try await connection.query("SET LOCAL enable_hashjoin = off", logger: logger)
            }
            let rows = try await connection.query(
                """
                SELECT r.segment_id, r.neighborhood, r.ts, r.feature_set = \(featureSet), r.vals, l.speed, l.flow
                FROM feature_rows r
                LEFT JOIN feature_labels l ON l.interval_start = r.ts AND l.segment_id = r.segment_id
                     AND l.interval_start >= \(start) AND l.interval_start < \(end)
                WHERE r.ts >= \(start) AND r.ts < \(end) AND (\(everyInstant) OR (r.ts - \(start)) % \(step) = 0)
                  AND (\(all) OR r.segment_id = ANY(\(wanted)::text[]))
                ORDER BY r.ts, r.segment_id
                """, logger: logger)
            for try await row in rows { try await body(try StoredRowCells(row)) }
        }
    }
}

/// One offline row as Postgres sent it. Text and the packed vector stay bytes, so retrieval
/// hashes and writes them without making Strings or arrays.
package struct StoredRowCells: Sendable {
    var segmentID: ByteBuffer
    var neighborhood: ByteBuffer
    var timestamp: EpochMillis
    /// Whether the row was computed with the current feature definitions.
    var isCurrent: Bool
    var vals: ByteBuffer
    var speed: Double?
    var flow: Double?

    init(
        segmentID: ByteBuffer, neighborhood: ByteBuffer, timestamp: EpochMillis, isCurrent: Bool, vals: ByteBuffer, speed: Double?,
        flow: Double?
    ) {
        (self.segmentID, self.neighborhood, self.timestamp, self.isCurrent) = (segmentID, neighborhood, timestamp, isCurrent)
        (self.vals, self.speed, self.flow) = (vals, speed, flow)
    }

    /// Reads the cells of `readRange`'s select list straight from their binary form: the
    /// generic tuple decoder looks up type metadata for every row, a large share of retrieval's
    /// per-row time in a profile.
    init(_ row: PostgresRow) throws {
        var cells = CellReader(row, reading: "feature_rows")
        segmentID = try cells.bytes()
        neighborhood = try cells.bytes()
        timestamp = try cells.int64()
        isCurrent = try cells.bool()
        vals = try cells.bytes()
        speed = try cells.optionalDouble()
        flow = try cells.optionalDouble()
    }
}

/// A stored vector before decoding: decoding only the requested features keeps retrieval fast.
struct StoredVector: Sendable {
    var segmentID: String
    var neighborhood: String
    var timestamp: EpochMillis
    var featureSet: String
    var vals: ByteBuffer
}
