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
    var key: [UInt8]?
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
    /// An emitted revision before ordering (`inEventTimeOrder`).
    typealias Due = (interval: EpochMillis, revision: Int32, message: Encoded)

    /// Emits due traffic intervals and writes them to the outbox; returns the outbox messages,
    /// for the caller to send after the commit.
    static func emitTraffic(
        watermark: EpochMillis, now: EpochMillis, topic: String, rule: KnowledgeRule, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
        let due = try await dueTraffic(watermark: watermark, now: now, rule: rule, on: connection, logger: logger)
        let final = try await finalTraffic(watermark: watermark, now: now, rule: rule, on: connection, logger: logger)
        return try await writeOutbox([(topic, entries(inEventTimeOrder(due + final)))], on: connection, logger: logger)
    }

    /// Marks due traffic intervals emitted and returns their observations (on-time sums, known
    /// from the interval's end: `KnowledgeRule`), not yet in the outbox (`writeOutbox` takes
    /// every topic's in one statement). Final revisions of intervals with late readings come
    /// first, from `finalTraffic`.
    static func dueTraffic(
        watermark: EpochMillis, now: EpochMillis, rule: KnowledgeRule, on connection: PostgresConnection, logger: Logger,
        timings: PhaseTimings = PhaseTimings()
    ) async throws -> [Due] {
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
        var messages: [Due] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "due traffic intervals")
            let (segment, interval, neighborhood, revision) = (try cells.string(), try cells.int64(), try cells.string(), try cells.int32())
            let sums = try readIntervalSums(&cells)
            guard
                let observation = TrafficAggregation.observation(
                    segmentID: segment, neighborhood: neighborhood, intervalStart: interval, sums: sums, revision: Int(revision),
                    ingestTime: now, knownAt: rule.onTimeKnownAt(intervalStart: interval))
            else { continue }
            messages.append((interval, revision, (segment, try observation.wireBytes())))
        }
        lap("db: emit: due intervals + encode")
        return messages
    }

    /// Final revisions: intervals with late readings that the too-late limit has passed, their
    /// sums taken from every partial, on time and late, known from `KnowledgeRule.finalKnownAt`.
    static func finalTraffic(
        watermark: EpochMillis, now: EpochMillis, rule: KnowledgeRule, on connection: PostgresConnection, logger: Logger
    )
        async throws -> [Due]
    {
        let horizon = rule.finalHorizon(watermark: watermark)
        let rows = try await connection.query(
            """
            WITH taken AS (
                UPDATE ingest_traffic_intervals SET late_pending = false, final_emitted = true, dirty = false, revision = revision + 1
                WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM ingest_traffic_intervals WHERE late_pending AND interval_start <= \(horizon) FOR UPDATE SKIP LOCKED
                ))
                RETURNING segment_id, interval_start, neighborhood, revision, late_published
            ), sensors AS (
                SELECT p.segment_id, p.interval_start, p.sensor_id, sum(p.rate_sum)::int8 AS rate_sum, sum(p.rate_count)::int8 AS rate_count,
                       sum(p.speed_sum)::int8 AS speed_sum, sum(p.speed_count)::int8 AS speed_count,
                       sum(p.occupancy_sum)::int8 AS occupancy_sum, sum(p.occupancy_count)::int8 AS occupancy_count
                FROM ingest_traffic_partials p JOIN taken t USING (segment_id, interval_start)
                GROUP BY p.segment_id, p.interval_start, p.sensor_id
            )
            SELECT t.segment_id, t.interval_start, t.neighborhood, t.revision, t.late_published,
                   COALESCE(sum((2 * s.rate_sum + s.rate_count) / (2 * s.rate_count)) FILTER (WHERE s.rate_count > 0), 0)::int8,
                   (count(*) FILTER (WHERE s.rate_count > 0))::int4, COALESCE(sum(s.rate_count), 0)::int4,
                   COALESCE(sum(s.speed_sum), 0)::int8, COALESCE(sum(s.speed_count), 0)::int4,
                   COALESCE(sum(s.occupancy_sum), 0)::int8, COALESCE(sum(s.occupancy_count), 0)::int4
            FROM taken t LEFT JOIN sensors s USING (segment_id, interval_start)
            GROUP BY t.segment_id, t.interval_start, t.neighborhood, t.revision, t.late_published
            """, logger: logger)
        var messages: [Due] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "final traffic intervals")
            let (segment, interval, neighborhood, revision) = (try cells.string(), try cells.int64(), try cells.string(), try cells.int32())
            let latePublished = try cells.optionalInt64()
            let sums = try readIntervalSums(&cells)
            guard
                let observation = TrafficAggregation.observation(
                    segmentID: segment, neighborhood: neighborhood, intervalStart: interval, sums: sums, revision: Int(revision),
                    ingestTime: now, knownAt: rule.finalKnownAt(intervalStart: interval, latestLatePublish: latePublished))
            else { continue }
            messages.append((interval, revision, (segment, try observation.wireBytes())))
        }
        return messages
    }

    private static func readIntervalSums(_ cells: inout CellReader) throws -> IntervalSums {
        var sums = IntervalSums()
        sums.flowMeanSum = ExactSum(micros: try cells.int64())
        sums.reportingSensors = Int(try cells.int32())
        sums.sampleCount = Int(try cells.int32())
        sums.speedSum = ExactSum(micros: try cells.int64())
        sums.speedCount = Int(try cells.int32())
        sums.occupancySum = ExactSum(micros: try cells.int64())
        sums.occupancyCount = Int(try cells.int32())
        return sums
    }

    /// Oldest interval first (then by key, then revision), so each partition carries a batch's
    /// observations in event-time order. Readers date an observation by its partition's progress
    /// (the feature store's availability clock): in heap order, an interval sent after a newer one
    /// of its partition would count as known only from the newer one's end, up to the batch's span
    /// later. An interval's on-time revision goes out before its final one when both are due.
    static func inEventTimeOrder(_ messages: [Due]) -> [Encoded] {
        messages.sorted { ($0.interval, $0.message.key, $0.revision) < ($1.interval, $1.message.key, $1.revision) }.map(\.message)
    }

    /// As `dueTraffic`, for the neighborhoods' context intervals. Active events are counted from
    /// the updates published before the on-time cutoff.
    static func dueContext(watermark: EpochMillis, now: EpochMillis, rule: KnowledgeRule, on connection: PostgresConnection, logger: Logger)
        async throws -> [Due]
    {
        let horizon = watermark - Interval.lengthMillis
        let cutoff = "c.interval_start + \(Interval.lengthMillis + rule.allowedLatenessMillis)"
        let rows = try await connection.query(
            """
            UPDATE ingest_context_partials c SET dirty = false, revision = c.revision + 1
            WHERE c.ctid = ANY(ARRAY(
                SELECT ctid FROM ingest_context_partials WHERE dirty AND interval_start <= \(horizon) FOR UPDATE SKIP LOCKED
            ))
            RETURNING c.neighborhood, c.interval_start, c.revision, c.temperature_sum, c.precipitation_sum, c.visibility_sum,
                c.weather_count, c.delay_sum, c.delay_count, \(unescaped: activeEvents(knownBefore: cutoff))
            """, logger: logger)
        var messages: [Due] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "due context intervals")
            let (neighborhood, interval, revision) = (try cells.string(), try cells.int64(), try cells.int32())
            let partial = try readContextSums(&cells)
            let (scheduled, incidents) = (try cells.int64(), try cells.int64())
            let observation = partial.observation(
                neighborhood: neighborhood, intervalStart: interval, activeScheduledEvents: Int(scheduled), activeIncidents: Int(incidents),
                revision: Int(revision), ingestTime: now, knownAt: rule.onTimeKnownAt(intervalStart: interval))
            messages.append((interval, revision, (neighborhood, try observation.wireBytes())))
        }
        return messages
    }

    /// As `finalTraffic`, for context: on-time sums plus `ingest_context_late`, events counted
    /// from the updates published before the final revision's known-at instant.
    static func finalContext(
        watermark: EpochMillis, now: EpochMillis, rule: KnowledgeRule, on connection: PostgresConnection, logger: Logger
    )
        async throws -> [Due]
    {
        let horizon = rule.finalHorizon(watermark: watermark)
        let cutoff = "GREATEST(c.interval_start + \(Interval.lengthMillis + rule.tooLateMillis), COALESCE(c.late_published, 0))"
        let rows = try await connection.query(
            """
            UPDATE ingest_context_partials c SET late_pending = false, final_emitted = true, dirty = false, revision = c.revision + 1
            FROM (
                SELECT p.ctid AS row_id, COALESCE(l.temperature_sum, 0) AS temperature_sum, COALESCE(l.precipitation_sum, 0) AS precipitation_sum,
                       COALESCE(l.visibility_sum, 0) AS visibility_sum, COALESCE(l.weather_count, 0) AS weather_count,
                       COALESCE(l.delay_sum, 0) AS delay_sum, COALESCE(l.delay_count, 0) AS delay_count
                FROM ingest_context_partials p
                LEFT JOIN ingest_context_late l USING (neighborhood, interval_start)
                WHERE p.late_pending AND p.interval_start <= \(horizon)
                FOR UPDATE OF p SKIP LOCKED
            ) l
            WHERE c.ctid = l.row_id
            RETURNING c.neighborhood, c.interval_start, c.revision, c.late_published,
                c.temperature_sum + l.temperature_sum, c.precipitation_sum + l.precipitation_sum, c.visibility_sum + l.visibility_sum,
                c.weather_count + l.weather_count, c.delay_sum + l.delay_sum, c.delay_count + l.delay_count,
                \(unescaped: activeEvents(knownBefore: cutoff))
            """, logger: logger)
        var messages: [Due] = []
        for try await row in rows {
            var cells = CellReader(row, reading: "final context intervals")
            let (neighborhood, interval, revision) = (try cells.string(), try cells.int64(), try cells.int32())
            let latePublished = try cells.optionalInt64()
            let partial = try readContextSums(&cells)
            let (scheduled, incidents) = (try cells.int64(), try cells.int64())
            let observation = partial.observation(
                neighborhood: neighborhood, intervalStart: interval, activeScheduledEvents: Int(scheduled), activeIncidents: Int(incidents),
                revision: Int(revision), ingestTime: now,
                knownAt: rule.finalKnownAt(intervalStart: interval, latestLatePublish: latePublished))
            messages.append((interval, revision, (neighborhood, try observation.wireBytes())))
        }
        return messages
    }

    /// The two counts of events active in the context row `c`'s interval, as known before
    /// `cutoff` (an SQL expression over `c`): an update published at or after it is not known
    /// yet. Updates without a publish time are known from the start.
    private static func activeEvents(knownBefore cutoff: String) -> String {
        let active = """
            e.neighborhood = c.neighborhood AND e.started_at < c.interval_start + \(Interval.lengthMillis)
                AND COALESCE(e.started_published, 0) < \(cutoff)
                AND (e.ended_at IS NULL OR e.ended_at > c.interval_start OR COALESCE(e.ended_published, 0) >= \(cutoff))
            """
        return """
            (SELECT count(*) FROM ingest_city_events e WHERE \(active) AND e.kind IN ('game', 'concert')),
            (SELECT count(*) FROM ingest_city_events e WHERE \(active) AND e.kind NOT IN ('game', 'concert'))
            """
    }

    private static func readContextSums(_ cells: inout CellReader) throws -> ContextPartial {
        var partial = ContextPartial()
        partial.temperatureSum = ExactSum(micros: try cells.int64())
        partial.precipitationSum = ExactSum(micros: try cells.int64())
        partial.visibilitySum = ExactSum(micros: try cells.int64())
        partial.weatherCount = Int(try cells.int32())
        partial.delaySum = ExactSum(micros: try cells.int64())
        partial.delayCount = Int(try cells.int32())
        return partial
    }

    /// Observations as outbox entries: their keys (segment and neighborhood ids) as UTF-8.
    static func entries(_ messages: [Encoded]) -> [OutboxPacking.Entry] {
        messages.map { (Array($0.key.utf8), $0.payload) }
    }

    /// One outbox row per topic (see `OutboxPacking`), all in one statement; each returned
    /// message carries its row's id. Topics without messages get no row.
    static func writeOutbox(
        _ emissions: [(topic: String, messages: [OutboxPacking.Entry])], on connection: PostgresConnection, logger: Logger
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
                messages.append(OutboxMessage(id: id, topic: topic, key: Array(key.utf8), payload: Array(buffer: payload)))
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
