import CablecarDomain
import CablecarDrift
import Logging
import PostgresNIO

/// `monitor_served_features` and `monitor_drift`: the feature values the model was given, and
/// the drift of each window against the model version's reference profile.
enum DriftStore {
    /// Stores the served feature rows the predictions carry (a redelivered one is ignored), in one
    /// statement: every row's names and values go flat into two arrays, and each row takes its
    /// slice by offset and length.
    static func insertServedFeatures(_ forecasts: [Forecast], on connection: PostgresConnection, logger: Logger) async throws {
        let rows = forecasts.filter { !($0.features?.isEmpty ?? true) }
        guard !rows.isEmpty else { return }
        var names: [String] = []
        var values: [Double] = []
        var offsets: [Int32] = []
        var counts: [Int32] = []
        for forecast in rows {
            let features = (forecast.features ?? [:]).sorted { $0.key < $1.key }
            offsets.append(Int32(clamping: names.count))
            counts.append(Int32(clamping: features.count))
            names += features.map(\.key)
            values += features.map(\.value)
        }
        let requests = rows.map(\.requestID)
        let segments = rows.map(\.segmentID)
        let models = rows.map(\.modelName)
        let versions = rows.map { Int32(clamping: $0.modelVersion) }
        let neighborhoods = rows.map(\.neighborhood)
        let times = rows.map(\.eventTime)
        try await connection.query(
            """
            INSERT INTO monitor_served_features (request_id, segment_id, model_name, model_version, neighborhood, event_time,
                feature_names, feature_values)
            SELECT q, s, m, v, n, e, (\(names)::text[])[o + 1 : o + c], (\(values)::float8[])[o + 1 : o + c]
            FROM UNNEST(\(requests)::text[], \(segments)::text[], \(models)::text[], \(versions)::int4[], \(neighborhoods)::text[],
                \(times)::int8[], \(offsets)::int4[], \(counts)::int4[]) AS u(q, s, m, v, n, e, o, c)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Drops served rows and drift findings older than `before` (retention, as the pairs): a
    /// finding per column, neighborhood and hour adds up to millions of rows a year.
    static func trim(before: EpochMillis, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM monitor_served_features WHERE event_time < \(before)", logger: logger)
        try await connection.query("DELETE FROM monitor_drift WHERE window_end < \(before)", logger: logger)
    }

    /// What was served in `[from, to)` by issue time, per model version and neighborhood: the
    /// feature rows, and the production predictions per target and horizon.
    static func served(from: EpochMillis, to: EpochMillis, on client: PostgresClient, logger: Logger) async throws
        -> [ModelKey: [String: ServedSample]]
    {
        var result: [ModelKey: [String: ServedSample]] = [:]
        let rows = try await client.query(
            """
            SELECT model_name, model_version, neighborhood, event_time, feature_names, feature_values FROM monitor_served_features
            WHERE event_time >= \(from) AND event_time < \(to)
            """, logger: logger)
        for try await (name, version, neighborhood, time, names, values) in rows.decode(
            (String, Int32, String, Int64, [String], [Double]).self)
        {
            let key = ModelKey(name: name, version: Int(version))
            var sample = result[key, default: [:]][neighborhood, default: ServedSample()]
            for (feature, value) in zip(names, values) { sample.features[feature, default: []].append(value) }
            sample.hoursCovered.insert(time - time % WindowStore.hourMillis)
            result[key, default: [:]][neighborhood] = sample
        }
        guard !result.isEmpty else { return result }
        let predictions = try await client.query(
            """
            SELECT model_name, model_version, neighborhood, horizon_min, predicted_speed, predicted_flow FROM monitor_pairs
            WHERE target_time >= \(from) AND target_time < \(to + MonitorInput.maxHorizonMinutesMillis)
              AND event_time >= \(from) AND event_time < \(to) AND role = 'production'
            """, logger: logger)
        for try await (name, version, neighborhood, horizon, speed, flow) in predictions.decode(
            (String, Int32, String, Int32, Double?, Double?).self)
        {
            let key = ModelKey(name: name, version: Int(version))
            guard var sample = result[key]?[neighborhood] else { continue }
            if let speed {
                sample.predictions[ReferenceProfile.predictionName(target: "speed_kmh", horizonMinutes: Int(horizon)), default: []].append(
                    speed)
            }
            if let flow {
                sample.predictions[ReferenceProfile.predictionName(target: "flow_veh_h", horizonMinutes: Int(horizon)), default: []].append(
                    flow)
            }
            result[key]?[neighborhood] = sample
        }
        return result
    }

    static func save(_ findings: [DriftFinding], on connection: PostgresConnection, logger: Logger) async throws {
        guard !findings.isEmpty else { return }
        let ends = findings.map(\.windowEnd)
        let hours = findings.map { Int32(clamping: $0.windowHours) }
        let neighborhoods = findings.map(\.neighborhood)
        let models = findings.map(\.modelName)
        let versions = findings.map { Int32(clamping: $0.modelVersion) }
        let kinds = findings.map(\.kind.rawValue)
        let names = findings.map(\.name)
        let alerting = findings.map(\.alerting)
        let referenceCounts = findings.map { Int64($0.shift.referenceCount) }
        let currentCounts = findings.map { Int64($0.shift.currentCount) }
        let referenceMeans = findings.map(\.shift.referenceMean)
        let currentMeans = findings.map(\.shift.currentMean)
        let distances = findings.map(\.shift.normalizedWasserstein)
        let ks = findings.map(\.shift.ksStatistic)
        let p = findings.map(\.shift.ksPValue)
        let psi = findings.map(\.shift.psi)
        let drifted = findings.map(\.shift.evidentlyDrifted)
        try await connection.query(
            """
            INSERT INTO monitor_drift (window_end, window_hours, neighborhood, model_name, model_version, kind, name, alerting, reference_n,
                current_n, reference_mean, current_mean, wasserstein_normed, ks_statistic, ks_p, psi, evidently_drifted)
            SELECT * FROM UNNEST(\(ends)::int8[], \(hours)::int4[], \(neighborhoods)::text[], \(models)::text[], \(versions)::int4[],
                \(kinds)::text[], \(names)::text[], \(alerting)::bool[], \(referenceCounts)::int8[], \(currentCounts)::int8[], \(referenceMeans)::float8[],
                \(currentMeans)::float8[], \(distances)::float8[], \(ks)::float8[], \(p)::float8[], \(psi)::float8[], \(drifted)::bool[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Findings of windows ending in `(from, to]`, newest first; `latest` keeps only each
    /// neighborhood's newest window.
    static func findings(
        from: EpochMillis, to: EpochMillis, neighborhood: String?, latest: Bool, limit: Int, on client: PostgresClient, logger: Logger
    ) async throws -> [DriftFinding] {
        let rows = try await client.query(
            """
            SELECT window_end, window_hours, neighborhood, model_name, model_version, kind, name, reference_n, current_n, reference_mean,
                current_mean, wasserstein_normed, ks_statistic, ks_p, psi, alerting
            FROM monitor_drift d
            WHERE window_end > \(from) AND window_end <= \(to) AND (\(neighborhood)::text IS NULL OR neighborhood = \(neighborhood))
              AND (NOT \(latest) OR window_end = (SELECT max(window_end) FROM monitor_drift l WHERE l.neighborhood = d.neighborhood
                                                   AND l.window_end > \(from) AND l.window_end <= \(to)))
            ORDER BY window_end DESC, neighborhood, name
            LIMIT \(Int64(limit))
            """, logger: logger)
        var result: [DriftFinding] = []
        for try await row in rows.decode(
            (Int64, Int32, String, String, Int32, String, String, Int64, Int64, Double?, Double?, Double, Double, Double, Double, Bool).self
        ) {
            result.append(
                DriftFinding(
                    windowEnd: row.0, windowHours: Int(row.1), neighborhood: row.2, modelName: row.3, modelVersion: Int(row.4),
                    kind: DriftFinding.Kind(rawValue: row.5) ?? .feature, name: row.6, alerting: row.15,
                    shift: DistributionShift(
                        referenceCount: Int(row.7), currentCount: Int(row.8), normalizedWasserstein: row.11, ksStatistic: row.12,
                        ksPValue: row.13, psi: row.14, referenceMean: row.9 ?? .nan, currentMean: row.10 ?? .nan)))
        }
        return result
    }
}
