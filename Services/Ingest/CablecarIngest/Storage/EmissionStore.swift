import CablecarDomain
import Foundation
import Logging
import PostgresNIO

/// A message committed for sending: written in the state transaction, deleted after the flush.
struct OutboxMessage: Sendable {
    var id: Int64
    var topic: String
    var key: String
    var payload: [UInt8]
}

/// Emits due intervals: computes their observation from the stored partials, bumps the
/// revision, clears the dirty flag and writes the observation to the outbox — all inside the
/// caller's transaction, so an emission is either fully recorded or not at all.
enum EmissionStore {
    static func emitTraffic(watermark: EpochMillis, now: EpochMillis, topic: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let horizon = watermark - Interval.lengthMillis
        let rows = try await connection.query(
            """
            UPDATE ingest_traffic_intervals SET dirty = false, revision = revision + 1
            WHERE dirty AND interval_start <= \(horizon)
            RETURNING segment_id, interval_start, neighborhood, revision
            """, logger: logger)
        var due: [(segment: String, interval: Int64, neighborhood: String, revision: Int32)] = []
        for try await (segment, interval, neighborhood, revision) in rows.decode((String, Int64, String, Int32).self) {
            due.append((segment, interval, neighborhood, revision))
        }
        guard !due.isEmpty else { return 0 }
        let segments = due.map(\.segment)
        let intervals = due.map(\.interval)
        var partials: [String: [SensorPartial]] = [:]
        let partialRows = try await connection.query(
            """
            SELECT p.segment_id, p.interval_start, p.rate_sum, p.rate_count, p.speed_sum, p.speed_count, p.occupancy_sum, p.occupancy_count
            FROM ingest_traffic_partials p
            JOIN UNNEST(\(segments)::text[], \(intervals)::int8[]) AS d(segment_id, interval_start)
              ON p.segment_id = d.segment_id AND p.interval_start = d.interval_start
            """, logger: logger)
        for try await (segment, interval, rateSum, rateCount, speedSum, speedCount, occupancySum, occupancyCount) in partialRows.decode(
            (String, Int64, Double, Int32, Double, Int32, Double, Int32).self)
        {
            partials["\(segment)@\(interval)", default: []].append(
                SensorPartial(
                    rateSum: rateSum, rateCount: Int(rateCount), speedSum: speedSum, speedCount: Int(speedCount),
                    occupancySum: occupancySum, occupancyCount: Int(occupancyCount)))
        }
        var messages: [(String, [UInt8])] = []
        for row in due {
            guard let observation = TrafficAggregation.observation(
                segmentID: row.segment, neighborhood: row.neighborhood, intervalStart: row.interval,
                partials: partials["\(row.segment)@\(row.interval)"] ?? [], revision: Int(row.revision), ingestTime: now)
            else { continue }
            messages.append((row.segment, try WireCodec.encode(observation)))
        }
        try await insertOutbox(topic: topic, messages, on: connection, logger: logger)
        return messages.count
    }

    static func emitContext(watermark: EpochMillis, now: EpochMillis, topic: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let horizon = watermark - Interval.lengthMillis
        let rows = try await connection.query(
            """
            UPDATE ingest_context_partials c SET dirty = false, revision = c.revision + 1
            WHERE c.dirty AND c.interval_start <= \(horizon)
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
            messages.append((neighborhood, try WireCodec.encode(observation)))
        }
        try await insertOutbox(topic: topic, messages, on: connection, logger: logger)
        return messages.count
    }

    private static func insertOutbox(topic: String, _ messages: [(String, [UInt8])], on connection: PostgresConnection, logger: Logger) async throws {
        guard !messages.isEmpty else { return }
        let keys = messages.map(\.0)
        // bytea[] does not bind from [[UInt8]]; base64 text decoded by Postgres keeps it parameterized.
        let payloads = messages.map { Data($0.1).base64EncodedString() }
        try await connection.query(
            """
            INSERT INTO ingest_outbox (topic, message_key, payload)
            SELECT \(topic), k, decode(p, 'base64') FROM UNNEST(\(keys)::text[], \(payloads)::text[]) AS u(k, p)
            """, logger: logger)
    }

    static func pendingOutbox(on client: PostgresClient, logger: Logger) async throws -> [OutboxMessage] {
        var messages: [OutboxMessage] = []
        let rows = try await client.query("SELECT id, topic, message_key, payload FROM ingest_outbox ORDER BY id", logger: logger)
        for try await (id, topic, key, payload) in rows.decode((Int64, String, String, ByteBuffer).self) {
            messages.append(OutboxMessage(id: id, topic: topic, key: key, payload: Array(buffer: payload)))
        }
        return messages
    }

    static func deleteOutbox(upTo id: Int64, on client: PostgresClient, logger: Logger) async throws {
        try await client.query("DELETE FROM ingest_outbox WHERE id <= \(id)", logger: logger)
    }
}
