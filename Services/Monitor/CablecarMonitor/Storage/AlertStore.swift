import CablecarDomain
import Logging
import PostgresNIO

/// `monitor_alerts`, `monitor_alert_tracks` and `monitor_progress`: the alert engine's state,
/// the alerts with their lifecycle, and the outbox of transitions not yet on monitor.alerts.
enum AlertStore {
    static let columns = """
        alert_id, state, neighborhood, metric, model_name, model_version, value, threshold, window_kind, window_start, window_end,
        opened_at, resolved_at, summary
        """

    /// The engine as it was after the last evaluated window.
    static func loadEngine(rule: AlertRule, on client: PostgresClient, logger: Logger) async throws -> AlertEngine {
        var open: [String: MonitorAlert] = [:]
        for alert in try await alerts(state: .open, neighborhood: nil, limit: 100_000, on: client, logger: logger) {
            open[alert.alertID] = alert
        }
        var engine = AlertEngine(rule: rule)
        let rows = try await client.query(
            "SELECT model_name, neighborhood, metric, bad_streak, good_streak, open_alert_id FROM monitor_alert_tracks", logger: logger)
        for try await (model, neighborhood, kind, bad, good, openID) in rows.decode((String, String, String, Int32, Int32, String?).self) {
            guard let kind = AlertEvidence.Kind(rawValue: kind) else { continue }
            engine.tracks[AlertEngine.TrackKey(modelName: model, neighborhood: neighborhood, kind: kind)] = AlertEngine.Track(
                badStreak: Int(bad), goodStreak: Int(good), open: openID.flatMap { open[$0] })
        }
        return engine
    }

    /// Saves the engine's tracks and the transitions of one evaluation (unpublished).
    static func save(_ engine: AlertEngine, transitions: [MonitorAlert], on connection: PostgresConnection, logger: Logger) async throws {
        let keys = engine.tracks.keys.sorted()
        guard !keys.isEmpty else { return }
        let tracks = keys.compactMap { engine.tracks[$0] }
        let models = keys.map(\.modelName)
        let neighborhoods = keys.map(\.neighborhood)
        let kinds = keys.map(\.kind.rawValue)
        let bad = tracks.map { Int32(clamping: $0.badStreak) }
        let good = tracks.map { Int32(clamping: $0.goodStreak) }
        let open = tracks.map { $0.open?.alertID ?? "" }
        try await connection.query(
            """
            INSERT INTO monitor_alert_tracks (model_name, neighborhood, metric, bad_streak, good_streak, open_alert_id)
            SELECT m, n, k, b, g, NULLIF(o, '')
            FROM UNNEST(\(models)::text[], \(neighborhoods)::text[], \(kinds)::text[], \(bad)::int4[], \(good)::int4[], \(open)::text[])
                AS u(m, n, k, b, g, o)
            ON CONFLICT (model_name, neighborhood, metric) DO UPDATE
                SET bad_streak = excluded.bad_streak, good_streak = excluded.good_streak, open_alert_id = excluded.open_alert_id
            """, logger: logger)
        for alert in transitions {
            let resolvedAt: Int64? = alert.state == .resolved ? alert.eventTime : nil
            try await connection.query(
                """
                INSERT INTO monitor_alerts (\(unescaped: columns), published)
                VALUES (\(alert.alertID), \(alert.state.rawValue), \(alert.neighborhood), \(alert.metric), \(alert.modelName),
                    \(Int32(clamping: alert.modelVersion)), \(alert.value), \(alert.threshold), \(alert.window), \(alert.windowStart),
                    \(alert.windowEnd), \(alert.eventTime), \(resolvedAt), \(alert.summary), false)
                ON CONFLICT (alert_id) DO UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at, value = excluded.value,
                    threshold = excluded.threshold, metric = excluded.metric, window_start = excluded.window_start,
                    window_end = excluded.window_end, summary = excluded.summary, published = false
                WHERE monitor_alerts.state <> excluded.state
                """, logger: logger)
        }
    }

    /// Alerts newest first, optionally of one state or neighborhood.
    static func alerts(
        state: MonitorAlert.State?, neighborhood: String?, limit: Int, on client: PostgresClient, logger: Logger,
        unpublishedOnly: Bool = false
    ) async throws -> [MonitorAlert] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: columns) FROM monitor_alerts
            WHERE (\(state?.rawValue ?? "")::text = '' OR state = \(state?.rawValue ?? ""))
              AND (\(neighborhood ?? "")::text = '' OR neighborhood = \(neighborhood ?? ""))
              AND (NOT \(unpublishedOnly) OR NOT published)
            ORDER BY COALESCE(resolved_at, opened_at) DESC, alert_id
            LIMIT \(limit)
            """, logger: logger)
        var result: [MonitorAlert] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            let state = MonitorAlert.State(rawValue: try c[1].decode(String.self)) ?? .open
            let openedAt = try c[11].decode(Int64.self)
            let resolvedAt = try c[12].decode(Int64?.self)
            result.append(
                MonitorAlert(
                    alertID: try c[0].decode(String.self), eventTime: state == .resolved ? (resolvedAt ?? openedAt) : openedAt,
                    state: state,
                    neighborhood: try c[2].decode(String.self), metric: try c[3].decode(String.self),
                    value: try c[6].decode(Double.self), threshold: try c[7].decode(Double.self), window: try c[8].decode(String.self),
                    windowStart: try c[9].decode(Int64.self), windowEnd: try c[10].decode(Int64.self),
                    modelName: try c[4].decode(String.self), modelVersion: Int(try c[5].decode(Int32.self)),
                    summary: try c[13].decode(String.self)))
        }
        return result
    }

    static func markPublished(_ alerts: [MonitorAlert], on client: PostgresClient, logger: Logger) async throws {
        for alert in alerts {
            try await client.query(
                "UPDATE monitor_alerts SET published = true WHERE alert_id = \(alert.alertID) AND state = \(alert.state.rawValue)",
                logger: logger)
        }
    }

    /// The event-time clock (newest actual seen) and the last hour the engine evaluated.
    static func progress(on client: PostgresClient, logger: Logger) async throws -> (clock: EpochMillis?, lastEvaluated: EpochMillis?) {
        let rows = try await client.query("SELECT clock, last_evaluated_window FROM monitor_progress WHERE id = 1", logger: logger)
        for try await (clock, last) in rows.decode((Int64?, Int64?).self) { return (clock, last) }
        return (nil, nil)
    }

    static func saveProgress(clock: EpochMillis?, lastEvaluated: EpochMillis?, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO monitor_progress (id, clock, last_evaluated_window) VALUES (1, \(clock), \(lastEvaluated))
            ON CONFLICT (id) DO UPDATE SET clock = excluded.clock, last_evaluated_window = excluded.last_evaluated_window
            """, logger: logger)
    }
}
