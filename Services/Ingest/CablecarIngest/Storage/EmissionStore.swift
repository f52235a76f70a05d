import CablecarDomain
import CablecarPostgres
import Foundation
import Logging
import PostgresNIO

/// A message committed for sending: written in the state transaction, deleted after the flush.
/// `id` is its outbox row's, which it shares with the other messages packed into that row.
struct OutboxMessage: Sendable {
    var id: Int64
    var topic: String
    var key: String
    var payload: [UInt8]
}

/// Emits due intervals: marks them emitted with the next revision, computes their observation
/// from the sums on their rows (`IntervalSums`) and writes it to the outbox — all inside the
/// caller's transaction, so an emission is either fully recorded or not at all.
///
/// Several instances emit from the same tables (see docs/ingest.md, "Scale-out"): due rows are
/// taken with `FOR UPDATE SKIP LOCKED`, so an interval another transaction is writing (adding a
/// late reading, or emitting it) is left to that transaction or to the next batch instead of
/// being waited for, and each (interval, revision) is emitted by exactly one transaction. The
/// locked rows are then updated by their `ctid` (a direct heap fetch, whatever the planner
/// thinks of the dirty-interval estimate).
enum EmissionStore {
    /// A message to send: its partition key and its bytes.
    typealias Encoded = (key: String, payload: [UInt8])

    /// Emits due traffic intervals and writes them to the outbox; returns the outbox messages,
    /// for the caller to send after the commit.
    static func emitTraffic(
        watermark: EpochMillis, now: EpochMillis, topic: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
        let messages = try await dueTraffic(watermark: watermark, now: now, on: connection, logger: logger)
        return try await writeOutbox([(topic, messages)], on: connection, logger: logger)
    }

    /// Marks due traffic intervals emitted and returns their observations, not yet in the outbox
    /// (`writeOutbox` takes every topic's in one statement).
    static func dueTraffic(
        watermark: EpochMillis, now: EpochMillis, on connection: PostgresConnection, logger: Logger, timings: PhaseTimings = PhaseTimings()
    ) async throws -> [Encoded] {
        var clock = ContinuousClock.now
        func lap(_ phase: String) {
            let now = ContinuousClock.now
            timings.add(phase, now - clock)
            clock = now
        }
        let horizon = watermark - Interval.lengthMillis
        let rows = try await connection.query(
            """
            UPDATE ingest_traffic_intervals SET dirty = false, revision = revision + 1
            WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM ingest_traffic_intervals WHERE dirty AND interval_start <= \(horizon) FOR UPDATE SKIP LOCKED
            ))
            RETURNING segment_id, interval_start, neighborhood, revision, flow_mean_sum, reporting_sensors, sample_count,
                speed_sum, speed_count, occupancy_sum, occupancy_count
            """, logger: logger)
        var messages: [(interval: EpochMillis, message: Encoded)] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "due traffic intervals")
            let (segment, interval, neighborhood, revision) = (try cells.string(), try cells.int64(), try cells.string(), try cells.int32())
            var sums = IntervalSums()
            sums.flowMeanSum = try cells.double()
            sums.reportingSensors = Int(try cells.int32())
            sums.sampleCount = Int(try cells.int32())
            sums.speedSum = try cells.double()
            sums.speedCount = Int(try cells.int32())
            sums.occupancySum = try cells.double()
            sums.occupancyCount = Int(try cells.int32())
            guard
                let observation = TrafficAggregation.observation(
                    segmentID: segment, neighborhood: neighborhood, intervalStart: interval, sums: sums, revision: Int(revision),
                    ingestTime: now)
            else { continue }
            messages.append((interval, (segment, try observation.wireBytes())))
        }
        lap("db: emit: due intervals + encode")
        return Self.inEventTimeOrder(messages)
    }

    /// Oldest interval first (then by key), so each partition carries a batch's observations in
    /// event-time order. Readers date an observation by its partition's progress (the feature
    /// store's availability clock): in heap order, an interval sent after a newer one of its
    /// partition would count as known only from the newer one's end, up to the batch's span later.
    static func inEventTimeOrder(_ messages: [(interval: EpochMillis, message: Encoded)]) -> [Encoded] {
        messages.sorted { ($0.interval, $0.message.key) < ($1.interval, $1.message.key) }.map(\.message)
    }

    /// As `dueTraffic`, for the neighborhoods' context intervals.
    static func dueContext(watermark: EpochMillis, now: EpochMillis, on connection: PostgresConnection, logger: Logger) async throws
        -> [Encoded]
    {
        let horizon = watermark - Interval.lengthMillis
        let rows = try await connection.query(
            """
            UPDATE ingest_context_partials c SET dirty = false, revision = c.revision + 1
            WHERE c.ctid = ANY(ARRAY(
                SELECT ctid FROM ingest_context_partials WHERE dirty AND interval_start <= \(horizon) FOR UPDATE SKIP LOCKED
            ))
            RETURNING c.neighborhood, c.interval_start, c.revision, c.temperature_sum, c.precipitation_sum, c.visibility_sum,
                c.weather_count, c.delay_sum, c.delay_count,
                (SELECT count(*) FROM ingest_city_events e WHERE e.neighborhood = c.neighborhood AND e.kind IN ('game', 'concert')
                    AND e.started_at < c.interval_start + \(Interval.lengthMillis) AND (e.ended_at IS NULL OR e.ended_at > c.interval_start)),
                (SELECT count(*) FROM ingest_city_events e WHERE e.neighborhood = c.neighborhood AND e.kind NOT IN ('game', 'concert')
                    AND e.started_at < c.interval_start + \(Interval.lengthMillis) AND (e.ended_at IS NULL OR e.ended_at > c.interval_start))
            """, logger: logger)
        var messages: [(interval: EpochMillis, message: Encoded)] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "due context intervals")
            let (neighborhood, interval, revision) = (try cells.string(), try cells.int64(), try cells.int32())
            var partial = ContextPartial()
            partial.temperatureSum = try cells.double()
            partial.precipitationSum = try cells.double()
            partial.visibilitySum = try cells.double()
            partial.weatherCount = Int(try cells.int32())
            partial.delaySum = try cells.double()
            partial.delayCount = Int(try cells.int32())
            let (scheduled, incidents) = (try cells.int64(), try cells.int64())
            let observation = partial.observation(
                neighborhood: neighborhood, intervalStart: interval, activeScheduledEvents: Int(scheduled), activeIncidents: Int(incidents),
                revision: Int(revision), ingestTime: now)
            messages.append((interval, (neighborhood, try observation.wireBytes())))
        }
        return Self.inEventTimeOrder(messages)
    }

    /// One outbox row per topic (see `OutboxPacking`), all in one statement; each returned
    /// message carries its row's id. Topics without messages get no row.
    static func writeOutbox(
        _ emissions: [(topic: String, messages: [Encoded])], on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
        let rows = emissions.filter { !$0.messages.isEmpty }
        guard !rows.isEmpty else { return [] }
        let topics = rows.map(\.topic)
        let counts = rows.map { Int32($0.messages.count) }
        // bytea[] does not bind from [[UInt8]]; base64 text decoded by Postgres keeps it parameterized.
        let packed = rows.map { Data(OutboxPacking.pack($0.messages)).base64EncodedString() }
        let inserted = try await connection.query(
            """
            INSERT INTO ingest_outbox (topic, message_key, payload, packed_count)
            SELECT t, '', decode(p, 'base64'), c FROM UNNEST(\(topics)::text[], \(packed)::text[], \(counts)::int4[]) AS u(t, p, c)
            RETURNING id, topic
            """, logger: logger)
        var ids: [String: Int64] = [:]
        for try await (id, topic) in inserted.decode((Int64, String).self) { ids[topic] = id }
        return try rows.flatMap { row in
            guard let id = ids[row.topic] else { throw IngestStorageError("outbox insert returned no id for topic \(row.topic)") }
            return row.messages.map { OutboxMessage(id: id, topic: row.topic, key: $0.key, payload: $0.payload) }
        }
    }

    /// Everything committed but not yet deleted, in commit order (single-message rows written
    /// before packing included).
    static func pendingOutbox(on client: PostgresClient, logger: Logger) async throws -> [OutboxMessage] {
        var messages: [OutboxMessage] = []
        let rows = try await client.query(
            "SELECT id, topic, message_key, payload, packed_count FROM ingest_outbox ORDER BY id", logger: logger)
        for try await (id, topic, key, payload, packedCount) in rows.decode((Int64, String, String, ByteBuffer, Int32?).self) {
            guard let packedCount else {
                messages.append(OutboxMessage(id: id, topic: topic, key: key, payload: Array(buffer: payload)))
                continue
            }
            for message in try OutboxPacking.unpack(Array(buffer: payload), count: Int(packedCount)) {
                messages.append(OutboxMessage(id: id, topic: topic, key: message.key, payload: message.payload))
            }
        }
        return messages
    }

    /// Deletes exactly the sent rows: another instance's unsent rows are never touched.
    static func deleteOutbox(_ ids: [Int64], on client: PostgresClient, logger: Logger) async throws {
        guard !ids.isEmpty else { return }
        // Messages of one packed row share its id.
        var distinct: [Int64] = []
        for id in ids where distinct.last != id { distinct.append(id) }
        try await client.query("DELETE FROM ingest_outbox WHERE id = ANY(\(distinct)::int8[])", logger: logger)
    }
}
