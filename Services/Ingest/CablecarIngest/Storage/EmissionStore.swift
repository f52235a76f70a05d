import CablecarDomain
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
    /// Returns the outbox rows written, for the caller to send after the commit.
    static func emitTraffic(
        watermark: EpochMillis, now: EpochMillis, topic: String, on connection: PostgresConnection, logger: Logger,
        timings: PhaseTimings = PhaseTimings()
    ) async throws -> [OutboxMessage] {
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
        var messages: [(String, [UInt8])] = []
        for try await (segment, interval, neighborhood, revision, flowMeanSum, reporting, samples, speedSum, speedCount, occupancySum,
                       occupancyCount) in rows.decode((String, Int64, String, Int32, Double, Int32, Int32, Double, Int32, Double, Int32).self)
        {
            var sums = IntervalSums()
            sums.flowMeanSum = flowMeanSum
            sums.reportingSensors = Int(reporting)
            sums.sampleCount = Int(samples)
            sums.speedSum = speedSum
            sums.speedCount = Int(speedCount)
            sums.occupancySum = occupancySum
            sums.occupancyCount = Int(occupancyCount)
            guard let observation = TrafficAggregation.observation(
                segmentID: segment, neighborhood: neighborhood, intervalStart: interval, sums: sums, revision: Int(revision), ingestTime: now)
            else { continue }
            messages.append((segment, try observation.wireBytes()))
        }
        lap("db: emit: due intervals + encode")
        defer { lap("db: emit: outbox") }
        return try await insertOutbox(topic: topic, messages, on: connection, logger: logger)
    }

    static func emitContext(
        watermark: EpochMillis, now: EpochMillis, topic: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
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
        var messages: [(String, [UInt8])] = []
        for try await (neighborhood, interval, revision, temperature, precipitation, visibility, weatherCount, delay, delayCount, scheduled, incidents)
            in rows.decode((String, Int64, Int32, Double, Double, Double, Int32, Double, Int32, Int64, Int64).self)
        {
            var partial = ContextPartial()
            partial.temperatureSum = temperature
            partial.precipitationSum = precipitation
            partial.visibilitySum = visibility
            partial.weatherCount = Int(weatherCount)
            partial.delaySum = delay
            partial.delayCount = Int(delayCount)
            let observation = partial.observation(
                neighborhood: neighborhood, intervalStart: interval, activeScheduledEvents: Int(scheduled), activeIncidents: Int(incidents),
                revision: Int(revision), ingestTime: now)
            messages.append((neighborhood, try observation.wireBytes()))
        }
        return try await insertOutbox(topic: topic, messages, on: connection, logger: logger)
    }

    /// One row for all of `messages` (see `OutboxPacking`); each returned message carries its id.
    private static func insertOutbox(
        topic: String, _ messages: [(String, [UInt8])], on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
        guard !messages.isEmpty else { return [] }
        let packed = ByteBuffer(bytes: OutboxPacking.pack(messages.map { (key: $0.0, payload: $0.1) }))
        let rows = try await connection.query(
            """
            INSERT INTO ingest_outbox (topic, message_key, payload, packed_count)
            VALUES (\(topic), '', \(packed), \(Int32(messages.count)))
            RETURNING id
            """, logger: logger)
        guard let id = try await rows.decode(Int64.self).first(where: { _ in true }) else {
            throw IngestStorageError("outbox insert returned no id")
        }
        return messages.map { OutboxMessage(id: id, topic: topic, key: $0.0, payload: $0.1) }
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
