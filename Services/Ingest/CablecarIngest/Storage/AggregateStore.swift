import CablecarDomain
import Logging
import PostgresNIO

/// Key of one sensor's partial in one interval.
struct SensorIntervalKey: Hashable, Sendable {
    var segmentID: String
    var neighborhood: String
    var intervalStart: EpochMillis
    var sensorID: String
}

/// One raw partition's progress as stored in `ingest_watermarks`.
struct PartitionProgress: Sendable, Equatable {
    var newestEventTime: EpochMillis
    /// Processing time the partition last accepted a record.
    var activeAt: EpochMillis
}

struct NeighborhoodIntervalKey: Hashable, Sendable {
    var neighborhood: String
    var intervalStart: EpochMillis
}

/// Aggregation state in Postgres: partial sums, dirty intervals, watermarks, event lifecycles.
/// Partials are added (`sum + excluded.sum`), which is safe because the ledger guarantees each
/// message is applied once: both writes happen in the same transaction.
enum AggregateStore {
    /// Newest event time per stream and partition. Rows are keyed "stream|topic:partition".
    static func loadWatermarks(on client: PostgresClient, logger: Logger) async throws -> [String: [String: EpochMillis]] {
        var result: [String: [String: EpochMillis]] = [:]
        let rows = try await client.query("SELECT stream, max_event_time FROM ingest_watermarks", logger: logger)
        for try await (key, time) in rows.decode((String, Int64).self) {
            guard let bar = key.firstIndex(of: "|") else { continue }
            result[String(key[..<bar]), default: [:]][String(key[key.index(after: bar)...])] = time
        }
        return result
    }

    /// Records progress of the partitions that accepted records in this batch (their newest
    /// event time, never moved back, and `activeAt`, the processing time they last accepted one)
    /// and returns every partition's progress, of every instance, per stream: what the group-wide
    /// watermark is computed from (see `BatchProcessor.emitDue`). One statement: a CTE's writes
    /// are invisible to the rest of it, so the rows it wrote are taken from its RETURNING.
    ///
    /// `advanced` is keyed by stream, then partition ("topic:partition").
    static func recordProgress(
        _ advanced: [String: [String: EpochMillis]], activeAt: EpochMillis, on connection: PostgresConnection, logger: Logger
    ) async throws -> [String: [String: PartitionProgress]] {
        let ordered = advanced.flatMap { stream, partitions in partitions.map { (stream + "|" + $0.key, $0.value) } }.sorted { $0.0 < $1.0 }
        let rows = try await connection.query(
            """
            WITH saved AS (
                INSERT INTO ingest_watermarks (stream, max_event_time, active_at)
                SELECT k, t, \(activeAt) FROM UNNEST(\(ordered.map(\.0))::text[], \(ordered.map(\.1))::int8[]) AS u(k, t)
                ON CONFLICT (stream) DO UPDATE SET
                    max_event_time = GREATEST(ingest_watermarks.max_event_time, excluded.max_event_time),
                    active_at = GREATEST(ingest_watermarks.active_at, excluded.active_at)
                RETURNING stream, max_event_time, active_at
            )
            SELECT stream, max_event_time, active_at FROM saved
            UNION ALL
            SELECT w.stream, w.max_event_time, w.active_at FROM ingest_watermarks w WHERE w.stream NOT IN (SELECT stream FROM saved)
            """, logger: logger)
        var result: [String: [String: PartitionProgress]] = [:]
        for try await (key, time, activeAt) in rows.decode((String, Int64, Int64).self) {
            guard let bar = key.firstIndex(of: "|") else { continue }
            result[String(key[..<bar]), default: [:]][String(key[key.index(after: bar)...])] =
                PartitionProgress(newestEventTime: time, activeAt: activeAt)
        }
        return result
    }

    /// Every partition's progress, without recording any.
    static func loadPartitionProgress(on connection: PostgresConnection, logger: Logger) async throws -> [String: [String:
        PartitionProgress]]
    {
        try await recordProgress([:], activeAt: 0, on: connection, logger: logger)
    }

    /// Adds on-time sensor partials and, in the same statement, their change to each interval's
    /// sums (`IntervalSums`), marking the interval dirty. A sensor's mean before this batch is its
    /// new row minus this batch's part: the upsert returns only the new row (Postgres 15 has no
    /// `RETURNING old`). Means round to a millionth as `ExactSum.mean` does. An interval whose
    /// final revision is out already goes through the final path again (`late_pending`), so a
    /// correction never drops its late readings.
    static func addTraffic(_ partials: [SensorIntervalKey: SensorPartial], on connection: PostgresConnection, logger: Logger) async throws {
        guard !partials.isEmpty else { return }
        let entries = Array(partials)
        let segments = entries.map(\.key.segmentID)
        let intervals = entries.map(\.key.intervalStart)
        let sensors = entries.map(\.key.sensorID)
        let neighborhoods = entries.map(\.key.neighborhood)
        let rateSums = entries.map(\.value.rateSum.micros)
        let rateCounts = entries.map { Int32($0.value.rateCount) }
        let speedSums = entries.map(\.value.speedSum.micros)
        let speedCounts = entries.map { Int32($0.value.speedCount) }
        let occupancySums = entries.map(\.value.occupancySum.micros)
        let occupancyCounts = entries.map { Int32($0.value.occupancyCount) }
        // Interval rows are shared by the loop and camera partitions of a segment, which other
        // instances may own: they are written in key order, as every instance does, so two
        // transactions never wait on each other in a cycle.
        try await connection.query(
            """
            WITH input AS (
                SELECT * FROM UNNEST(\(segments)::text[], \(intervals)::int8[], \(sensors)::text[], \(neighborhoods)::text[],
                                     \(rateSums)::int8[], \(rateCounts)::int4[], \(speedSums)::int8[], \(speedCounts)::int4[],
                                     \(occupancySums)::int8[], \(occupancyCounts)::int4[])
                    AS u(segment_id, interval_start, sensor_id, neighborhood, rate_sum, rate_count, speed_sum, speed_count,
                         occupancy_sum, occupancy_count)
            ), added AS (
                INSERT INTO ingest_traffic_partials AS t
                    (segment_id, interval_start, sensor_id, rate_sum, rate_count, speed_sum, speed_count, occupancy_sum, occupancy_count)
                SELECT segment_id, interval_start, sensor_id, rate_sum, rate_count, speed_sum, speed_count, occupancy_sum, occupancy_count
                FROM input
                ON CONFLICT (segment_id, interval_start, sensor_id, late) DO UPDATE SET
                    rate_sum = t.rate_sum + excluded.rate_sum, rate_count = t.rate_count + excluded.rate_count,
                    speed_sum = t.speed_sum + excluded.speed_sum, speed_count = t.speed_count + excluded.speed_count,
                    occupancy_sum = t.occupancy_sum + excluded.occupancy_sum, occupancy_count = t.occupancy_count + excluded.occupancy_count
                RETURNING t.segment_id, t.interval_start, t.sensor_id, t.rate_sum, t.rate_count
            )
            INSERT INTO ingest_traffic_intervals AS i
                (segment_id, interval_start, neighborhood, dirty, flow_mean_sum, reporting_sensors, sample_count,
                 speed_sum, speed_count, occupancy_sum, occupancy_count)
            SELECT a.segment_id, a.interval_start, min(u.neighborhood), true,
                   sum(CASE WHEN a.rate_count > 0 THEN (2 * a.rate_sum + a.rate_count) / (2 * a.rate_count) ELSE 0 END
                       - CASE WHEN a.rate_count > u.rate_count
                              THEN (2 * (a.rate_sum - u.rate_sum) + (a.rate_count - u.rate_count)) / (2 * (a.rate_count - u.rate_count))
                              ELSE 0 END),
                   count(*) FILTER (WHERE a.rate_count > 0 AND a.rate_count = u.rate_count),
                   sum(u.rate_count), sum(u.speed_sum), sum(u.speed_count), sum(u.occupancy_sum), sum(u.occupancy_count)
            FROM added a JOIN input u USING (segment_id, interval_start, sensor_id)
            GROUP BY a.segment_id, a.interval_start
            ORDER BY a.segment_id, a.interval_start
            ON CONFLICT (segment_id, interval_start) DO UPDATE SET
                dirty = NOT i.final_emitted, late_pending = i.late_pending OR i.final_emitted,
                flow_mean_sum = i.flow_mean_sum + excluded.flow_mean_sum,
                reporting_sensors = i.reporting_sensors + excluded.reporting_sensors, sample_count = i.sample_count + excluded.sample_count,
                speed_sum = i.speed_sum + excluded.speed_sum, speed_count = i.speed_count + excluded.speed_count,
                occupancy_sum = i.occupancy_sum + excluded.occupancy_sum, occupancy_count = i.occupancy_count + excluded.occupancy_count
            """, logger: logger)
    }

    /// Adds late sensor partials (`KnowledgeRule`): kept apart from the on-time sums, they only
    /// mark their interval for a final revision, noting the latest publish time among them.
    static func addLateTraffic(
        _ partials: [SensorIntervalKey: LatePartial<SensorPartial>], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !partials.isEmpty else { return }
        let entries = partials.sorted {
            ($0.key.segmentID, $0.key.intervalStart, $0.key.sensorID) < ($1.key.segmentID, $1.key.intervalStart, $1.key.sensorID)
        }
        let segments = entries.map(\.key.segmentID)
        let intervals = entries.map(\.key.intervalStart)
        let sensors = entries.map(\.key.sensorID)
        let neighborhoods = entries.map(\.key.neighborhood)
        let published = entries.map(\.value.latestPublish)
        let rateSums = entries.map(\.value.sums.rateSum.micros)
        let rateCounts = entries.map { Int32($0.value.sums.rateCount) }
        let speedSums = entries.map(\.value.sums.speedSum.micros)
        let speedCounts = entries.map { Int32($0.value.sums.speedCount) }
        let occupancySums = entries.map(\.value.sums.occupancySum.micros)
        let occupancyCounts = entries.map { Int32($0.value.sums.occupancyCount) }
        try await connection.query(
            """
            WITH input AS (
                SELECT * FROM UNNEST(\(segments)::text[], \(intervals)::int8[], \(sensors)::text[], \(neighborhoods)::text[],
                                     \(published)::int8[], \(rateSums)::int8[], \(rateCounts)::int4[], \(speedSums)::int8[],
                                     \(speedCounts)::int4[], \(occupancySums)::int8[], \(occupancyCounts)::int4[])
                    AS u(segment_id, interval_start, sensor_id, neighborhood, published, rate_sum, rate_count, speed_sum, speed_count,
                         occupancy_sum, occupancy_count)
            ), added AS (
                INSERT INTO ingest_traffic_partials AS t
                    (segment_id, interval_start, sensor_id, late, rate_sum, rate_count, speed_sum, speed_count, occupancy_sum,
                     occupancy_count)
                SELECT segment_id, interval_start, sensor_id, true, rate_sum, rate_count, speed_sum, speed_count, occupancy_sum,
                       occupancy_count
                FROM input
                ON CONFLICT (segment_id, interval_start, sensor_id, late) DO UPDATE SET
                    rate_sum = t.rate_sum + excluded.rate_sum, rate_count = t.rate_count + excluded.rate_count,
                    speed_sum = t.speed_sum + excluded.speed_sum, speed_count = t.speed_count + excluded.speed_count,
                    occupancy_sum = t.occupancy_sum + excluded.occupancy_sum, occupancy_count = t.occupancy_count + excluded.occupancy_count
            )
            INSERT INTO ingest_traffic_intervals AS i (segment_id, interval_start, neighborhood, dirty, late_pending, late_published)
            SELECT segment_id, interval_start, min(neighborhood), false, true, max(published)
            FROM input GROUP BY segment_id, interval_start
            ORDER BY segment_id, interval_start
            ON CONFLICT (segment_id, interval_start) DO UPDATE SET
                late_pending = true, late_published = GREATEST(i.late_published, excluded.late_published)
            """, logger: logger)
    }

    /// Adds on-time context partials, marking the interval dirty (or, once its final revision is
    /// out, for a final again: see `addTraffic`).
    static func addContext(_ partials: [NeighborhoodIntervalKey: ContextPartial], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !partials.isEmpty else { return }
        // Shared by every context partition (weather, GPS, events) of a neighborhood: written in
        // key order, like the traffic intervals, so concurrent instances cannot deadlock.
        let entries = partials.sorted { ($0.key.neighborhood, $0.key.intervalStart) < ($1.key.neighborhood, $1.key.intervalStart) }
        let columns = ContextColumns(entries.map(\.value))
        try await connection.query(
            """
            INSERT INTO ingest_context_partials AS c
                (neighborhood, interval_start, temperature_sum, precipitation_sum, visibility_sum, weather_count, delay_sum,
                 delay_count, event_updates, dirty)
            SELECT n, i, t, p, v, w, d, dc, e, true
            FROM UNNEST(\(entries.map(\.key.neighborhood))::text[], \(entries.map(\.key.intervalStart))::int8[],
                        \(columns.temperatures)::int8[], \(columns.precipitations)::int8[], \(columns.visibilities)::int8[],
                        \(columns.weatherCounts)::int4[], \(columns.delays)::int8[], \(columns.delayCounts)::int4[],
                        \(columns.eventUpdates)::int4[]) AS u(n, i, t, p, v, w, d, dc, e)
            ON CONFLICT (neighborhood, interval_start) DO UPDATE SET
                temperature_sum = c.temperature_sum + excluded.temperature_sum,
                precipitation_sum = c.precipitation_sum + excluded.precipitation_sum,
                visibility_sum = c.visibility_sum + excluded.visibility_sum, weather_count = c.weather_count + excluded.weather_count,
                delay_sum = c.delay_sum + excluded.delay_sum, delay_count = c.delay_count + excluded.delay_count,
                event_updates = c.event_updates + excluded.event_updates,
                dirty = NOT c.final_emitted, late_pending = c.late_pending OR c.final_emitted
            """, logger: logger)
    }

    /// Adds late context partials to `ingest_context_late` and marks their intervals for a final
    /// revision (see `addLateTraffic`).
    static func addLateContext(
        _ partials: [NeighborhoodIntervalKey: LatePartial<ContextPartial>], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !partials.isEmpty else { return }
        let entries = partials.sorted { ($0.key.neighborhood, $0.key.intervalStart) < ($1.key.neighborhood, $1.key.intervalStart) }
        let neighborhoods = entries.map(\.key.neighborhood)
        let intervals = entries.map(\.key.intervalStart)
        let columns = ContextColumns(entries.map(\.value.sums))
        try await connection.query(
            """
            INSERT INTO ingest_context_late AS c
                (neighborhood, interval_start, temperature_sum, precipitation_sum, visibility_sum, weather_count, delay_sum,
                 delay_count, event_updates)
            SELECT n, i, t, p, v, w, d, dc, e
            FROM UNNEST(\(neighborhoods)::text[], \(intervals)::int8[], \(columns.temperatures)::int8[],
                        \(columns.precipitations)::int8[], \(columns.visibilities)::int8[], \(columns.weatherCounts)::int4[],
                        \(columns.delays)::int8[], \(columns.delayCounts)::int4[], \(columns.eventUpdates)::int4[])
                 AS u(n, i, t, p, v, w, d, dc, e)
            ON CONFLICT (neighborhood, interval_start) DO UPDATE SET
                temperature_sum = c.temperature_sum + excluded.temperature_sum,
                precipitation_sum = c.precipitation_sum + excluded.precipitation_sum,
                visibility_sum = c.visibility_sum + excluded.visibility_sum, weather_count = c.weather_count + excluded.weather_count,
                delay_sum = c.delay_sum + excluded.delay_sum, delay_count = c.delay_count + excluded.delay_count,
                event_updates = c.event_updates + excluded.event_updates
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO ingest_context_partials AS c (neighborhood, interval_start, dirty, late_pending, late_published)
            SELECT n, i, false, true, p FROM UNNEST(\(neighborhoods)::text[], \(intervals)::int8[], \(entries.map(\.value.latestPublish))::int8[])
                AS u(n, i, p)
            ON CONFLICT (neighborhood, interval_start) DO UPDATE SET
                late_pending = true, late_published = GREATEST(c.late_published, excluded.late_published)
            """, logger: logger)
    }

    /// Tracks when each city event started and ended, to count the events active in an interval.
    /// `events` come with their publish times (nil: unknown, taken as known from the start):
    /// a revision counts an update only if it was published before the revision's cutoff
    /// (`KnowledgeRule`).
    static func recordEvents(
        _ events: [(event: CityEvent, publishTime: EpochMillis?)], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !events.isEmpty else { return }
        // One row per event (an upsert may not touch a row twice): the latest start and end seen
        // in the batch, as applying its updates one by one would leave them.
        var merged:
            [String: (
                kind: String, neighborhood: String, started: Int64?, startedPublished: Int64?, ended: Int64?, endedPublished: Int64?
            )] = [:]
        for (event, publishTime) in events {
            var row = merged[event.eventID] ?? (event.kind.rawValue, event.neighborhood, nil, nil, nil, nil)
            if event.status == .started {
                row.started = event.eventTime
                row.startedPublished = publishTime
            }
            if event.status == .ended || event.status == .cleared {
                row.ended = event.eventTime
                row.endedPublished = publishTime
            }
            merged[event.eventID] = row
        }
        // An event's updates may arrive on different partitions: rows in id order (no lock cycles).
        let rows = merged.sorted { $0.key < $1.key }
        // Arrays of optionals do not bind: Int64.min stands for NULL.
        try await connection.query(
            """
            INSERT INTO ingest_city_events (event_id, kind, neighborhood, started_at, started_published, ended_at, ended_published)
            SELECT i, k, n, NULLIF(s, \(Int64.min)), NULLIF(sp, \(Int64.min)), NULLIF(e, \(Int64.min)), NULLIF(ep, \(Int64.min))
            FROM UNNEST(\(rows.map(\.key))::text[], \(rows.map(\.value.kind))::text[], \(rows.map(\.value.neighborhood))::text[],
                        \(rows.map { $0.value.started ?? Int64.min })::int8[], \(rows.map { $0.value.startedPublished ?? Int64.min })::int8[],
                        \(rows.map { $0.value.ended ?? Int64.min })::int8[], \(rows.map { $0.value.endedPublished ?? Int64.min })::int8[])
                 WITH ORDINALITY AS u(i, k, n, s, sp, e, ep, o)
            ORDER BY o
            ON CONFLICT (event_id) DO UPDATE SET
                started_at = COALESCE(excluded.started_at, ingest_city_events.started_at),
                started_published = CASE WHEN excluded.started_at IS NULL THEN ingest_city_events.started_published
                                         ELSE excluded.started_published END,
                ended_at = COALESCE(excluded.ended_at, ingest_city_events.ended_at),
                ended_published = CASE WHEN excluded.ended_at IS NULL THEN ingest_city_events.ended_published
                                       ELSE excluded.ended_published END
            """, logger: logger)
    }
}

/// Late readings of one key with the latest publish time among them.
struct LatePartial<Sums: Sendable>: Sendable {
    var sums: Sums
    var latestPublish: EpochMillis
}

extension LatePartial where Sums == SensorPartial {
    mutating func add(_ partial: SensorPartial, publishedAt: EpochMillis) {
        sums.add(partial)
        latestPublish = max(latestPublish, publishedAt)
    }
}

extension LatePartial where Sums == ContextPartial {
    mutating func add(_ partial: ContextPartial, publishedAt: EpochMillis) {
        sums.add(partial)
        latestPublish = max(latestPublish, publishedAt)
    }
}

/// Context partials as the columns the statements bind.
private struct ContextColumns {
    var temperatures: [Int64] = []
    var precipitations: [Int64] = []
    var visibilities: [Int64] = []
    var weatherCounts: [Int32] = []
    var delays: [Int64] = []
    var delayCounts: [Int32] = []
    var eventUpdates: [Int32] = []

    init(_ partials: [ContextPartial]) {
        for partial in partials {
            temperatures.append(partial.temperatureSum.micros)
            precipitations.append(partial.precipitationSum.micros)
            visibilities.append(partial.visibilitySum.micros)
            weatherCounts.append(Int32(partial.weatherCount))
            delays.append(partial.delaySum.micros)
            delayCounts.append(Int32(partial.delayCount))
            eventUpdates.append(Int32(partial.eventUpdates))
        }
    }
}
