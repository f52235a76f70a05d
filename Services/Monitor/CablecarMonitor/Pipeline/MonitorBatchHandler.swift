import CablecarDomain
import CablecarKafka
import CablecarRegistry
import CablecarRegistryAPI
import Logging
import PostgresNIO

/// What one batch produced: counts, and the alert transitions to publish on monitor.alerts
/// (already stored as unpublished; the loop publishes them, then marks them published).
public struct MonitorBatchOutput: Sendable, Equatable {
    public init() {}

    public var predictions = 0
    public var actuals = 0
    public var rejected = 0
    /// Pairs that got their first actual / a newer revision of it in this batch.
    public var joined = 0
    public var rescored = 0
    public var alerts: [MonitorAlert] = []
    public var evaluatedWindows = 0
}

/// The monitor's work on one batch, apart from consuming and publishing (so it moves onto the
/// shared streaming worker unchanged): decode and check, store predictions and actuals, join,
/// re-score the touched windows, then run the alert rule over every hour that closed.
///
/// Idempotent: a redelivered batch inserts nothing new, re-scores identically, and the alert
/// engine never evaluates an hour twice (its last evaluated hour is stored with its state).
public struct MonitorBatchHandler: Sendable {
    let database: PostgresClient
    let configuration: MonitorConfiguration
    let testErrors: TestErrorStore
    let references: ReferenceProfiles
    let logger: Logger
    let metrics = MonitorMetrics()
    var engine: AlertEngine
    var clock: EpochMillis?
    var lastEvaluated: EpochMillis?

    /// Most hours judged per batch, so a long backlog never makes one batch unbounded.
    static let maxHoursPerBatch = 24 * 14

    /// Restores the engine and the clocks from the database.
    public static func restore(database: PostgresClient, configuration: MonitorConfiguration, logger: Logger) async throws
        -> MonitorBatchHandler
    {
        let engine = try await AlertStore.loadEngine(rule: configuration.rule, on: database, logger: logger)
        let progress = try await AlertStore.progress(on: database, logger: logger)
        let registry = RegistryStore(client: database, events: nil, logger: logger)
        return MonitorBatchHandler(
            database: database, configuration: configuration,
            testErrors: TestErrorStore(registry: registry, client: database, logger: logger),
            references: ReferenceProfiles(registry: registry, logger: logger), logger: logger, engine: engine, clock: progress.clock,
            lastEvaluated: progress.lastEvaluated)
    }

    public var eventClock: EpochMillis? { clock }

    public mutating func handle(_ batch: [KafkaMessage]) async throws -> MonitorBatchOutput {
        var output = MonitorBatchOutput()
        let predictionsTopic = configuration.name(of: .forecastPredictions)
        let trafficTopic = configuration.name(of: .observedTraffic)
        var forecasts: [Forecast] = []
        var observations: [TrafficObservation] = []
        var rejected: [(KafkaMessage, String)] = []
        for message in batch {
            switch MonitorInput.decode(message, predictionsTopic: predictionsTopic, trafficTopic: trafficTopic) {
            case .prediction(let forecast): forecasts.append(forecast)
            case .actual(let observation): observations.append(observation)
            case .rejected(let reason):
                rejected.append((message, reason))
                metrics.rejected(topic: message.topic)
                logger.warning(
                    "Message rejected", metadata: ["topic": "\(message.topic)", "offset": "\(message.offset)", "reason": "\(reason)"])
            }
        }
        try await testErrors.ensure(Set(forecasts.map { ModelKey(name: $0.modelName, version: $0.modelVersion) }))
        let newestActual = observations.map { Interval.start(containing: $0.eventTime) }.max()
        let clock = [self.clock, newestActual].compactMap { $0 }.max()
        let staleAfter = EpochMillis(configuration.staleMinutes) * 60_000
        let retention = EpochMillis(configuration.retentionDays) * 86_400_000
        let (joined, rescored) = try await database.withTransaction(logger: logger) { connection in
            for (message, reason) in rejected {
                try await PairStore.reject(
                    topic: message.topic, partition: message.partition, offset: message.offset, reason: reason,
                    payload: Array(message.value),
                    on: connection, logger: self.logger)
            }
            let joined = try await PairStore.insertPredictions(forecasts, on: connection, logger: self.logger)
            try await DriftStore.insertServedFeatures(forecasts, on: connection, logger: self.logger)
            let changed = try await PairStore.upsertActuals(observations, on: connection, logger: self.logger)
            try await WindowStore.recompute(
                targetTimes: joined + changed.map(\.target), staleAfter: staleAfter, on: connection, logger: self.logger)
            if let clock {
                try await PairStore.trim(before: clock - retention, on: connection, logger: self.logger)
                try await DriftStore.trim(before: clock - retention, on: connection, logger: self.logger)
            }
            try await AlertStore.saveProgress(clock: clock, lastEvaluated: self.lastEvaluated, on: connection, logger: self.logger)
            let rescored = changed.filter(\.rescored).count
            return (joined.count + changed.count - rescored, rescored)
        }
        self.clock = clock
        output.predictions = forecasts.count
        output.actuals = observations.count
        output.rejected = rejected.count
        output.joined = joined
        output.rescored = rescored
        metrics.consumed(topic: predictionsTopic, count: forecasts.count)
        metrics.consumed(topic: trafficTopic, count: observations.count)
        metrics.pairs(joined: joined, rescored: rescored)
        let (alerts, windows) = try await evaluateClosedHours()
        output.alerts = alerts
        output.evaluatedWindows = windows
        metrics.progress(clock: self.clock, evaluated: lastEvaluated)
        return output
    }

    /// Runs the alert rule over each hour that closed (its end + grace is behind the clock).
    mutating func evaluateClosedHours() async throws -> ([MonitorAlert], Int) {
        guard let clock else { return ([], 0) }
        let hour = WindowStore.hourMillis
        let closedThrough = clock - EpochMillis(configuration.graceMinutes) * 60_000 - hour
        let first: EpochMillis
        if let lastEvaluated {
            first = lastEvaluated + hour
        } else if let earliest = try await earliestHour() {
            first = earliest
        } else {
            return ([], 0)
        }
        guard first <= closedThrough else { return ([], 0) }
        var transitions: [MonitorAlert] = []
        var evaluated = 0
        var start = first
        while start <= closedThrough && evaluated < Self.maxHoursPerBatch {
            let rows = try await WindowStore.rows(kind: "hour", from: start, to: start + hour, on: database, logger: logger)
            var engine = self.engine
            let window = AlertWindow.hour(starting: start)
            let drift = try await driftFindings(windowEnd: start + hour)
            let changed = engine.evaluate(
                window,
                evidence: EvidenceBuilder.evidence(from: rows, rule: configuration.rule)
                    + DriftEvaluator.evidence(drift, rule: configuration.rule))
            let clock = self.clock
            try await database.withTransaction(logger: logger) { connection in
                try await DriftStore.save(drift, on: connection, logger: self.logger)
                try await AlertStore.save(engine, transitions: changed, on: connection, logger: self.logger)
                try await AlertStore.saveProgress(clock: clock, lastEvaluated: start, on: connection, logger: self.logger)
            }
            self.engine = engine
            lastEvaluated = start
            transitions += changed
            metrics.window(rows)
            metrics.drift(drift)
            for alert in changed {
                logger.notice(
                    alert.state == .open ? "Alert opened" : "Alert resolved",
                    metadata: [
                        "alert_id": "\(alert.alertID)", "neighborhood": "\(alert.neighborhood)", "metric": "\(alert.metric)",
                        "value": "\(alert.value)", "threshold": "\(alert.threshold)",
                    ])
            }
            evaluated += 1
            start += hour
        }
        metrics.alerts(transitions, open: engine.tracks.values.filter { $0.open != nil }.count)
        return (transitions, evaluated)
    }

    /// Drift of what was served in the `driftWindowHours` before `windowEnd`, per model version
    /// and neighborhood, against each version's reference profile.
    func driftFindings(windowEnd: EpochMillis) async throws -> [DriftFinding] {
        let hours = configuration.driftWindowHours
        let served = try await DriftStore.served(
            from: windowEnd - EpochMillis(hours) * WindowStore.hourMillis, to: windowEnd, on: database, logger: logger)
        var findings: [DriftFinding] = []
        for key in served.keys.sorted(by: { ($0.name, $0.version) < ($1.name, $1.version) }) {
            guard let reference = try await references.profile(key), let samples = served[key] else { continue }
            findings += DriftEvaluator.findings(
                reference: reference, served: samples, model: key, windowEnd: windowEnd, windowHours: hours)
        }
        return findings
    }

    private func earliestHour() async throws -> EpochMillis? {
        let rows = try await database.query(
            "SELECT min(window_start) FROM monitor_window_metrics WHERE window_kind = 'hour'", logger: logger)
        for try await value in rows.decode(Int64?.self) { return value }
        return nil
    }
}
