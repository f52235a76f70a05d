import ArgumentParser
import CablecarDomain
import CablecarDrift
import CablecarKafka
import CablecarMonitor
import CablecarPostgres
import CablecarRegistry
import Foundation
import Logging
import PostgresNIO

/// `cablecar-bench monitor`: the monitor's own work on simulated city days, in a database of the
/// run's own on a running stack's Postgres (no broker: the batches go straight to the handler the
/// consume loop calls). Per five-minute interval every segment gets three predictions (15, 30 and
/// 60 minutes; the first carries its served features) and, one interval later, its actual; the
/// batches arrive in that order, as from the topics. Reports predictions and actuals handled per
/// second, pairs joined, hours judged (accuracy, drift, alerts) and resident memory.
enum MonitorBenchmark {
    static let neighborhoods = [
        "bayview", "chinatown", "financial-district", "haight", "marina", "mission", "mission-bay", "noe-valley", "richmond", "soma",
        "sunset", "tenderloin",
    ]
    static let features =
        (1...3).map { "speed_lag_\($0)" } + (1...3).map { "flow_lag_\($0)" } + [
            "speed_mean_15m", "speed_mean_60m", "flow_mean_15m", "flow_mean_60m", "speed_std_15m", "speed_std_60m", "flow_std_15m",
            "flow_std_60m", "speed_yesterday", "flow_yesterday", "speed_last_week", "flow_last_week", "upstream_speed", "downstream_speed",
        ]
    static let start: EpochMillis = 1_741_564_800_000  // 2025-03-10, a Monday

    static func run(databaseURL: String, days: Int, segmentsPerNeighborhood: Int, batchSize: Int, reference: Bool) async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = .warning
        try await BenchDatabase.withOwn(prefix: "monitor_bench", serverURL: databaseURL, drop: true, logger: logger) { database in
            try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(database.client)
            try await register(database.client, reference: reference, logger: logger)
            let configuration = MonitorConfiguration()
            var handler = try await MonitorBatchHandler.restore(database: database.client, configuration: configuration, logger: logger)
            let segments = neighborhoods.flatMap { n in (0..<segmentsPerNeighborhood).map { (id: "\(n)-\($0)", neighborhood: n) } }
            var random = SplitMix64(seed: 7)
            var pending: [KafkaMessage] = []
            var totals = MonitorBatchOutput()
            var handled = 0
            var handleSeconds = 0.0
            let intervals = days * 288
            func flush() async throws {
                let clock = ContinuousClock.now
                let output = try await handler.handle(pending)
                handleSeconds += seconds(since: clock)
                handled += pending.count
                totals.predictions += output.predictions
                totals.actuals += output.actuals
                totals.joined += output.joined
                totals.alerts += output.alerts
                totals.evaluatedWindows += output.evaluatedWindows
                pending.removeAll(keepingCapacity: true)
            }
            for i in 0...intervals {
                let issue = start + EpochMillis(i) * Interval.lengthMillis
                for (s, segment) in segments.enumerated() {
                    let speed = 40 + 8 * sin(Double(i) / 288 * 2 * .pi + Double(s)) + 2 * random.normalish()
                    let flow = 900 + 300 * sin(Double(i) / 288 * 2 * .pi) + 40 * random.normalish()
                    if i > 0 {
                        let observation = TrafficObservation(
                            segmentID: segment.id, neighborhood: segment.neighborhood, eventTime: issue - Interval.lengthMillis,
                            flowVehiclesPerHour: flow, speedKmh: speed, occupancy: 0.2, sampleCount: 3, revision: 0, ingestTime: issue)
                        pending.append(message(configuration.name(of: .observedTraffic), segment.id, try WireCodec.encode(observation)))
                    }
                    guard i < intervals else { continue }
                    for (h, horizon) in [15, 30, 60].enumerated() {
                        let forecast = Forecast(
                            requestID: "bench-\(i)", segmentID: segment.id, neighborhood: segment.neighborhood, eventTime: issue,
                            horizonMinutes: horizon, predictedSpeedKmh: speed + random.normalish(),
                            predictedFlowVehiclesPerHour: flow + 30 * random.normalish(), modelName: "traffic", modelVersion: 1,
                            role: .production, featureStep: issue - Interval.lengthMillis, baselineSpeedKmh: speed + 3 * random.normalish(),
                            baselineFlowVehiclesPerHour: flow + 60 * random.normalish(),
                            features: h == 0 ? Dictionary(uniqueKeysWithValues: features.map { ($0, speed + random.normalish()) }) : nil)
                        pending.append(message(configuration.name(of: .forecastPredictions), segment.id, try WireCodec.encode(forecast)))
                    }
                }
                if pending.count >= batchSize { try await flush() }
            }
            if !pending.isEmpty { try await flush() }
            print(
                String(
                    format:
                        "monitor: %d days x %d segments: %d predictions + %d actuals in %.1f s of handling = %.0f messages/s; %d pairs joined; %d hours judged, %d alert transitions",
                    days, segments.count, totals.predictions, totals.actuals, handleSeconds, Double(handled) / handleSeconds, totals.joined,
                    totals.evaluatedWindows, totals.alerts.count))
            let drift = try await database.client.query("SELECT count(*), count(DISTINCT window_end) FROM monitor_drift", logger: logger)
                .decode((Int64, Int64).self).first { _ in true }
            print(
                "monitor: \(drift?.0 ?? 0) drift findings over \(drift?.1 ?? 0) windows; resident \(String(format: "%.0f", residentMiB())) MiB"
            )
        }
    }

    static func message(_ topic: String, _ key: String, _ value: [UInt8]) -> KafkaMessage {
        KafkaMessage(topic: topic, partition: 0, offset: 0, key: Array(key.utf8), value: value, timestamp: nil)
    }

    /// Version 1 with a reference profile (unless `reference` is false: drift is then not judged),
    /// as the trainer leaves it.
    static func register(_ client: PostgresClient, reference: Bool, logger: Logger) async throws {
        let store = RegistryStore(client: client, events: nil, logger: logger)
        let experiment = try await store.ensureExperiment(name: "traffic")
        let run = try await store.createRun(experimentID: experiment.id)
        var random = SplitMix64(seed: 1)
        var summaries: [String: [String: QuantileSummary]] = [:]
        for n in neighborhoods {
            var columns: [String: QuantileSummary] = [:]
            for name in features { columns[name] = QuantileSummary(values: (0..<5_000).map { _ in 40 + 8 * random.normalish() }) }
            summaries[n] = columns
        }
        if reference {
            _ = try await store.putArtifact(
                runID: run.id, path: ReferenceProfile.artifactPath,
                bytes: try ReferenceProfile(source: "bench", neighborhoods: summaries).jsonBytes())
        }
        _ = try await store.ensureRegisteredModel(name: "traffic")
        _ = try await store.createModelVersion(modelName: "traffic", runID: run.id)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return elapsed.inSeconds
    }

    static func residentMiB() -> Double { MonitorDriftBenchmark.residentMiB() }
}

struct MonitorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor", abstract: "The monitor's handling of simulated city days: messages per second, hours judged, memory.")
    @Option(help: "Postgres URL of a running stack; the run creates (and drops) a database of its own there.")
    var database = "postgres://postgres@127.0.0.1:55432/cablecar"
    @Option var days = 2
    @Option var segmentsPerNeighborhood = 15
    @Option var batchSize = 5_000
    @Flag(inversion: .prefixedNo, help: "Register a reference profile, so that drift is judged.") var reference = true

    func run() async throws {
        try await MonitorBenchmark.run(
            databaseURL: database, days: days, segmentsPerNeighborhood: segmentsPerNeighborhood, batchSize: batchSize,
            reference: reference)
    }
}
