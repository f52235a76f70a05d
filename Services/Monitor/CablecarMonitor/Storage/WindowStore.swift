import CablecarDomain
import Logging
import PostgresNIO

/// `monitor_window_metrics`: accuracy per window, recomputed from the pairs for every window a
/// batch touched (so a correction re-scores the hour and the day it falls in).
enum WindowStore {
    static let hourMillis: EpochMillis = 3_600_000
    static let dayMillis: EpochMillis = 86_400_000

    /// Recomputes the hour and day windows containing `targetTimes`. `staleAfter`: a prediction
    /// whose features are older than this at issue time counts as stale.
    static func recompute(
        targetTimes: [EpochMillis], staleAfter: EpochMillis, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !targetTimes.isEmpty else { return }
        for (kind, size) in [("hour", hourMillis), ("day", dayMillis)] {
            let starts = Array(Set(targetTimes.map { floor($0, size) })).sorted()
            guard let first = starts.first, let last = starts.last else { continue }
            let end = last + size
            try await connection.query(
                """
                DELETE FROM monitor_window_metrics WHERE window_kind = \(kind) AND window_start = ANY(\(starts)::int8[])
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO monitor_window_metrics (window_kind, window_start, neighborhood, target, horizon_min, model_name, model_version, role,
                    n, mae, rmse, mape, bias, abs_error_sd, baseline_n, baseline_mae, baseline_rmse, baseline_mape, baseline_bias,
                    paired_n, paired_diff_mean, paired_diff_sd, fallback_n, stale_n, test_mae)
                SELECT \(kind), w, x.neighborhood, x.target, x.horizon_min, x.model_name, x.model_version, x.role,
                    count(x.e), avg(abs(x.e)), sqrt(avg(x.e * x.e)), avg(abs(x.e) / greatest(abs(x.act), 1.0)), avg(x.e), stddev_samp(abs(x.e)),
                    count(x.eb), avg(abs(x.eb)), sqrt(avg(x.eb * x.eb)), avg(abs(x.eb) / greatest(abs(x.act), 1.0)), avg(x.eb),
                    count(abs(x.e) - abs(x.eb)), avg(abs(x.e) - abs(x.eb)), stddev_samp(abs(x.e) - abs(x.eb)),
                    count(*) FILTER (WHERE x.fallback_reason IS NOT NULL),
                    count(*) FILTER (WHERE x.feature_step IS NULL OR x.event_time - x.feature_step > \(staleAfter)),
                    max(COALESCE(tn.mae, tc.mae))
                FROM (
                    SELECT p.target_time - p.target_time % \(size) AS w, p.neighborhood, t.target, p.horizon_min, p.model_name,
                        p.model_version, p.role, p.fallback_reason, p.feature_step, p.event_time,
                        t.pred - t.act AS e, t.base - t.act AS eb, t.act
                    FROM monitor_pairs p
                    CROSS JOIN LATERAL (VALUES ('speed_kmh', p.predicted_speed, p.baseline_speed, p.actual_speed),
                                               ('flow_veh_h', p.predicted_flow, p.baseline_flow, p.actual_flow)) AS t(target, pred, base, act)
                    WHERE p.actual_revision IS NOT NULL AND p.target_time >= \(first) AND p.target_time < \(end)
                      AND p.target_time - p.target_time % \(size) = ANY(\(starts)::int8[])
                      AND t.act IS NOT NULL AND t.pred IS NOT NULL
                ) x
                LEFT JOIN monitor_test_errors tn ON tn.model_name = x.model_name AND tn.model_version = x.model_version
                    AND tn.neighborhood = x.neighborhood AND tn.target = x.target AND tn.horizon_min = x.horizon_min
                LEFT JOIN monitor_test_errors tc ON tc.model_name = x.model_name AND tc.model_version = x.model_version
                    AND tc.neighborhood = '' AND tc.target = x.target AND tc.horizon_min = x.horizon_min
                GROUP BY w, x.neighborhood, x.target, x.horizon_min, x.model_name, x.model_version, x.role
                """, logger: logger)
        }
    }

    static func floor(_ time: EpochMillis, _ size: EpochMillis) -> EpochMillis {
        let remainder = time % size
        return remainder >= 0 ? time - remainder : time - remainder - size
    }

    /// Start of the newest window of `kind`, if any.
    static func latestStart(kind: String, on client: PostgresClient, logger: Logger) async throws -> EpochMillis? {
        let rows = try await client.query(
            "SELECT max(window_start) FROM monitor_window_metrics WHERE window_kind = \(kind)", logger: logger)
        for try await value in rows.decode(Int64?.self) { return value }
        return nil
    }

    /// Rows of windows of `kind` starting in `[from, to)`, optionally one neighborhood's.
    static func rows(
        kind: String, from: EpochMillis, to: EpochMillis, neighborhood: String? = nil, limit: Int = 100_000, on client: PostgresClient,
        logger: Logger
    ) async throws -> [WindowMetrics] {
        let rows = try await client.query(
            """
            SELECT window_kind, window_start, neighborhood, target, horizon_min, model_name, model_version, role, n, mae, rmse, mape, bias,
                abs_error_sd, baseline_n, baseline_mae, baseline_rmse, baseline_mape, baseline_bias, paired_n, paired_diff_mean,
                paired_diff_sd, fallback_n, stale_n, test_mae
            FROM monitor_window_metrics
            WHERE window_kind = \(kind) AND window_start >= \(from) AND window_start < \(to)
              AND (\(neighborhood ?? "")::text = '' OR neighborhood = \(neighborhood ?? ""))
            ORDER BY window_start, neighborhood, target, horizon_min, model_name, model_version, role
            LIMIT \(limit)
            """, logger: logger)
        var result: [WindowMetrics] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            result.append(
                WindowMetrics(
                    windowKind: try c[0].decode(String.self), windowStart: try c[1].decode(Int64.self),
                    neighborhood: try c[2].decode(String.self), target: try c[3].decode(String.self),
                    horizonMinutes: Int(try c[4].decode(Int32.self)), modelName: try c[5].decode(String.self),
                    modelVersion: Int(try c[6].decode(Int32.self)), role: try c[7].decode(String.self),
                    count: Int(try c[8].decode(Int64.self)), mae: try c[9].decode(Double?.self), rmse: try c[10].decode(Double?.self),
                    mape: try c[11].decode(Double?.self), bias: try c[12].decode(Double?.self), absErrorSD: try c[13].decode(Double?.self),
                    baselineCount: Int(try c[14].decode(Int64.self)), baselineMAE: try c[15].decode(Double?.self),
                    baselineRMSE: try c[16].decode(Double?.self), baselineMAPE: try c[17].decode(Double?.self),
                    baselineBias: try c[18].decode(Double?.self), pairedCount: Int(try c[19].decode(Int64.self)),
                    pairedDiffMean: try c[20].decode(Double?.self), pairedDiffSD: try c[21].decode(Double?.self),
                    fallbackCount: Int(try c[22].decode(Int64.self)), staleCount: Int(try c[23].decode(Int64.self)),
                    testMAE: try c[24].decode(Double?.self)))
        }
        return result
    }
}
