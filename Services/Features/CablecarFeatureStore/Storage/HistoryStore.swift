import CablecarDomain
import CablecarFeatures
import Logging
import PostgresNIO

/// The observation history in Postgres: every revision with event time and availability time,
/// in day partitions created on demand, plus the latest revision per interval (labels).
package enum HistoryStore {
    static let day: EpochMillis = 86_400_000

    /// Creates the day partitions of `table` covering `times`.
    static func ensurePartitions(_ table: String, for times: some Sequence<EpochMillis>, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        let days = Set(times.map { $0 >= 0 ? $0 / day * day : ($0 - day + 1) / day * day })
        for start in days.sorted() {
            try await connection.query("SELECT feature_ensure_day_partition(\(table), \(start))", logger: logger)
        }
    }

    /// Inserts revisions; an already stored (segment, interval, revision) keeps its first row,
    /// so a redelivered message changes nothing (not even its availability time).
    package static func insertTraffic(_ items: [AvailableTraffic], on connection: PostgresConnection, logger: Logger) async throws {
        guard !items.isEmpty else { return }
        try await ensurePartitions("feature_traffic_history", for: items.map(\.observation.eventTime), on: connection, logger: logger)
        let o = items.map(\.observation)
        let segments = o.map(\.segmentID)
        let neighborhoods = o.map(\.neighborhood)
        let events = o.map { Interval.start(containing: $0.eventTime) }
        let revisions = o.map { Int32($0.revision) }
        let available = items.map(\.availableAt)
        let ingest = o.map(\.ingestTime)
        let flows = o.map(\.flowVehiclesPerHour)
        // NaN stands in for "no speed" in the bound array; NULLIF turns it back into NULL.
        let speeds = o.map { $0.speedKmh ?? .nan }
        let occupancies = o.map { $0.occupancy ?? .nan }
        let samples = o.map { Int32($0.sampleCount) }
        try await connection.query(
            """
            INSERT INTO feature_traffic_history
                (segment_id, neighborhood, event_time, revision, available_at, ingest_time, flow, speed, occupancy, sample_count)
            SELECT s, n, e, r, a, i, f, NULLIF(sp, 'NaN'::float8), NULLIF(oc, 'NaN'::float8), c
            FROM UNNEST(\(segments)::text[], \(neighborhoods)::text[], \(events)::int8[], \(revisions)::int4[], \(available)::int8[],
                        \(ingest)::int8[], \(flows)::float8[], \(speeds)::float8[], \(occupancies)::float8[], \(samples)::int4[])
                AS u(s, n, e, r, a, i, f, sp, oc, c)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO feature_labels (interval_start, segment_id, revision, flow, speed)
            SELECT DISTINCT ON (e, s) e, s, r, f, NULLIF(sp, 'NaN'::float8)
            FROM UNNEST(\(events)::int8[], \(segments)::text[], \(revisions)::int4[], \(flows)::float8[], \(speeds)::float8[]) AS u(e, s, r, f, sp)
            ORDER BY e, s, r DESC
            ON CONFLICT (interval_start, segment_id) DO UPDATE SET revision = excluded.revision, flow = excluded.flow, speed = excluded.speed
            WHERE excluded.revision > feature_labels.revision
            """, logger: logger)
    }

    package static func insertContext(_ items: [AvailableContext], on connection: PostgresConnection, logger: Logger) async throws {
        guard !items.isEmpty else { return }
        try await ensurePartitions("feature_context_history", for: items.map(\.observation.eventTime), on: connection, logger: logger)
        let o = items.map(\.observation)
        let neighborhoods = o.map(\.neighborhood)
        let events = o.map { Interval.start(containing: $0.eventTime) }
        let revisions = o.map { Int32($0.revision) }
        let available = items.map(\.availableAt)
        let ingest = o.map(\.ingestTime)
        let temperatures = o.map { $0.temperatureCelsius ?? .nan }
        let precipitation = o.map { $0.precipitationMmPerHour ?? .nan }
        let visibility = o.map { $0.visibilityMeters ?? .nan }
        let scheduled = o.map { Int32($0.activeScheduledEvents) }
        let incidents = o.map { Int32($0.activeIncidents) }
        let delays = o.map { $0.transitDelaySeconds ?? .nan }
        let reports = o.map { Int32($0.transitReports) }
        try await connection.query(
            """
            INSERT INTO feature_context_history
                (neighborhood, event_time, revision, available_at, ingest_time, temperature, precipitation, visibility,
                 active_events, active_incidents, transit_delay, transit_reports)
            SELECT n, e, r, a, i, NULLIF(t, 'NaN'::float8), NULLIF(p, 'NaN'::float8), NULLIF(v, 'NaN'::float8), se, inc,
                   NULLIF(d, 'NaN'::float8), tr
            FROM UNNEST(\(neighborhoods)::text[], \(events)::int8[], \(revisions)::int4[], \(available)::int8[], \(ingest)::int8[],
                        \(temperatures)::float8[], \(precipitation)::float8[], \(visibility)::float8[], \(scheduled)::int4[],
                        \(incidents)::int4[], \(delays)::float8[], \(reports)::int4[])
                AS u(n, e, r, a, i, t, p, v, se, inc, d, tr)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Loads every stored revision with event time in `[start, end)` into `history`.
    package static func load(
        into history: inout ObservationHistory, from start: EpochMillis, to end: EpochMillis, on client: PostgresClient, logger: Logger
    ) async throws {
        let traffic = try await client.query(
            """
            SELECT segment_id, neighborhood, event_time, revision, available_at, ingest_time, flow, speed, occupancy, sample_count
            FROM feature_traffic_history WHERE event_time >= \(start) AND event_time < \(end)
            """, logger: logger)
        for try await (segment, neighborhood, event, revision, available, ingest, flow, speed, occupancy, samples) in traffic.decode(
            (String, String, Int64, Int32, Int64, Int64, Double, Double?, Double?, Int32).self)
        {
            history.insert(
                AvailableTraffic(
                    TrafficObservation(
                        segmentID: segment, neighborhood: neighborhood, eventTime: event, flowVehiclesPerHour: flow, speedKmh: speed,
                        occupancy: occupancy, sampleCount: Int(samples), revision: Int(revision), ingestTime: ingest),
                    availableAt: available))
        }
        let context = try await client.query(
            """
            SELECT neighborhood, event_time, revision, available_at, ingest_time, temperature, precipitation, visibility,
                   active_events, active_incidents, transit_delay, transit_reports
            FROM feature_context_history WHERE event_time >= \(start) AND event_time < \(end)
            """, logger: logger)
        for try await (
            neighborhood, event, revision, available, ingest, temperature, precipitation, visibility, scheduled, incidents, delay, reports
        )
            in context.decode((String, Int64, Int32, Int64, Int64, Double?, Double?, Double?, Int32, Int32, Double?, Int32).self)
        {
            history.insert(
                AvailableContext(
                    ContextObservation(
                        neighborhood: neighborhood, eventTime: event, temperatureCelsius: temperature,
                        precipitationMmPerHour: precipitation,
                        visibilityMeters: visibility, activeScheduledEvents: Int(scheduled), activeIncidents: Int(incidents),
                        transitDelaySeconds: delay, transitReports: Int(reports), revision: Int(revision), ingestTime: ingest),
                    availableAt: available))
        }
    }

    /// Event-time range of the stored traffic history (nil when empty).
    static func trafficRange(on client: PostgresClient, logger: Logger) async throws -> (first: EpochMillis, last: EpochMillis)? {
        let rows = try await client.query("SELECT min(event_time), max(event_time) FROM feature_traffic_history", logger: logger)
        for try await (first, last) in rows.decode((Int64?, Int64?).self) {
            if let first, let last { return (first, last) }
        }
        return nil
    }
}
