import CablecarDomain
import Logging
import PostgresNIO

/// `monitor_pairs` and `monitor_actuals`: predictions, the newest actual of each interval, and
/// the join between them. Every write is idempotent, so a redelivered batch changes nothing.
enum PairStore {
    /// Stores predictions (a redelivered one is ignored) and joins those whose actual is
    /// already there. Returns the target times of the pairs that got an actual.
    static func insertPredictions(_ forecasts: [Forecast], on connection: PostgresConnection, logger: Logger) async throws -> [EpochMillis]
    {
        guard !forecasts.isEmpty else { return [] }
        let segments = forecasts.map(\.segmentID)
        let targets = forecasts.map { Interval.start(containing: $0.targetTime) }
        let horizons = forecasts.map { Int32($0.horizonMinutes) }
        let roles = forecasts.map(\.role.rawValue)
        let models = forecasts.map(\.modelName)
        let versions = forecasts.map { Int32($0.modelVersion) }
        let requests = forecasts.map(\.requestID)
        let neighborhoods = forecasts.map(\.neighborhood)
        let events = forecasts.map(\.eventTime)
        // NaN / Int64.min / '' stand in for NULL in the bound arrays.
        let speeds = forecasts.map { $0.predictedSpeedKmh ?? .nan }
        let flows = forecasts.map { $0.predictedFlowVehiclesPerHour ?? .nan }
        let baseSpeeds = forecasts.map { $0.baselineSpeedKmh ?? .nan }
        let baseFlows = forecasts.map { $0.baselineFlowVehiclesPerHour ?? .nan }
        let steps = forecasts.map { $0.featureStep ?? .min }
        let reasons = forecasts.map { $0.fallbackReason ?? "" }
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM UNNEST(\(segments)::text[], \(targets)::int8[], \(horizons)::int4[], \(roles)::text[], \(models)::text[],
                    \(versions)::int4[], \(requests)::text[], \(neighborhoods)::text[], \(events)::int8[], \(speeds)::float8[],
                    \(flows)::float8[], \(baseSpeeds)::float8[], \(baseFlows)::float8[], \(steps)::int8[], \(reasons)::text[])
                    AS u(s, t, h, r, m, v, q, n, e, ps, pf, bs, bf, fs, fr)
            )
            INSERT INTO monitor_pairs AS p (segment_id, target_time, horizon_min, role, model_name, model_version, request_id, neighborhood,
                event_time, predicted_speed, predicted_flow, baseline_speed, baseline_flow, feature_step, fallback_reason,
                actual_speed, actual_flow, actual_revision)
            SELECT i.s, i.t, i.h, i.r, i.m, i.v, i.q, i.n, i.e, NULLIF(i.ps, 'NaN'::float8), NULLIF(i.pf, 'NaN'::float8),
                NULLIF(i.bs, 'NaN'::float8), NULLIF(i.bf, 'NaN'::float8), NULLIF(i.fs, -9223372036854775808), NULLIF(i.fr, ''),
                a.speed, a.flow, a.revision
            FROM input i LEFT JOIN monitor_actuals a ON a.segment_id = i.s AND a.event_time = i.t
            ON CONFLICT DO NOTHING
            RETURNING p.target_time, p.actual_revision
            """, logger: logger)
        var joined: [EpochMillis] = []
        for try await (target, revision) in rows.decode((Int64, Int32?).self) where revision != nil { joined.append(target) }
        return joined
    }

    /// Keeps the newest revision of each interval and re-scores every pair whose actual was
    /// older. Returns the target times of the pairs that changed, and whether each had an actual
    /// before (a re-score) or got its first one.
    static func upsertActuals(
        _ observations: [TrafficObservation], on connection: PostgresConnection, logger: Logger
    ) async throws -> [(target: EpochMillis, rescored: Bool)] {
        guard !observations.isEmpty else { return [] }
        let segments = observations.map(\.segmentID)
        let events = observations.map { Interval.start(containing: $0.eventTime) }
        let neighborhoods = observations.map(\.neighborhood)
        let revisions = observations.map { Int32($0.revision) }
        let speeds = observations.map { $0.speedKmh ?? .nan }
        let flows = observations.map(\.flowVehiclesPerHour)
        try await connection.query(
            """
            INSERT INTO monitor_actuals AS a (segment_id, event_time, neighborhood, revision, speed, flow)
            SELECT DISTINCT ON (s, e) s, e, n, r, NULLIF(sp, 'NaN'::float8), f
            FROM UNNEST(\(segments)::text[], \(events)::int8[], \(neighborhoods)::text[], \(revisions)::int4[], \(speeds)::float8[],
                \(flows)::float8[]) AS u(s, e, n, r, sp, f)
            ORDER BY s, e, r DESC
            ON CONFLICT (segment_id, event_time) DO UPDATE SET revision = excluded.revision, speed = excluded.speed, flow = excluded.flow
            WHERE excluded.revision > a.revision
            """, logger: logger)
        // `old` is the row as it was before this statement: tells first joins from re-scores.
        let rows = try await connection.query(
            """
            UPDATE monitor_pairs p SET actual_speed = a.speed, actual_flow = a.flow, actual_revision = a.revision
            FROM monitor_actuals a, (SELECT DISTINCT s, e FROM UNNEST(\(segments)::text[], \(events)::int8[]) AS u(s, e)) k,
                monitor_pairs old
            WHERE a.segment_id = k.s AND a.event_time = k.e AND p.segment_id = k.s AND p.target_time = k.e AND old.ctid = p.ctid
              AND (p.actual_revision IS NULL OR p.actual_revision < a.revision)
            RETURNING p.target_time, old.actual_revision IS NOT NULL
            """, logger: logger)
        var changed: [(target: EpochMillis, rescored: Bool)] = []
        for try await (target, rescored) in rows.decode((Int64, Bool).self) { changed.append((target, rescored)) }
        return changed
    }

    /// Drops pairs and actuals whose target interval is older than `before` (retention).
    static func trim(before: EpochMillis, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM monitor_pairs WHERE target_time < \(before)", logger: logger)
        try await connection.query("DELETE FROM monitor_actuals WHERE event_time < \(before)", logger: logger)
    }

    static func reject(
        topic: String, partition: Int32, offset: Int64, reason: String, payload: [UInt8], on connection: PostgresConnection, logger: Logger
    ) async throws {
        let bytes = ByteBuffer(bytes: payload.prefix(65_536))
        try await connection.query(
            """
            INSERT INTO monitor_rejected (topic, partition, "offset", reason, payload) VALUES (\(topic), \(partition), \(offset), \(reason), \(bytes))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}
