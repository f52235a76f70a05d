import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CablecarMonitor

/// The monitor against a real Postgres and broker: predictions and observations (with a late
/// correction) on the topics, joined pairs, window metrics against a brute-force computation,
/// the correction's re-score, and one alert on monitor.alerts for the degraded neighborhood.
@Suite(.serialized) struct MonitorPipelineIntegrationTests {
    static let start = SyntheticWindows.start
    static let hours = 10
    static let neighborhoods = ["Alpha", "Beta", "Gamma"]
    static let segmentsPerNeighborhood = 4
    static let degraded = "Beta"
    static let degradedFrom = 2

    struct Scenario {
        var observations: [TrafficObservation] = []
        var predictions: [Forecast] = []
    }

    /// Actuals every five minutes; one production prediction (h15) per segment and interval with
    /// its baseline; Beta's model drifts off by +8 km/h and +200 veh/h from hour 2.
    static func scenario() -> Scenario {
        var generator = Generator(seed: 7)
        var result = Scenario()
        let intervals = hours * 12
        for neighborhood in neighborhoods {
            for s in 0..<segmentsPerNeighborhood {
                let segment = "\(neighborhood.lowercased())-\(s)"
                for i in 0..<intervals {
                    let target = start + EpochMillis(i) * Interval.lengthMillis
                    let speed = 50 + 5 * generator.normal()
                    let flow = 900 + 50 * generator.normal()
                    result.observations.append(
                        TrafficObservation(
                            segmentID: segment, neighborhood: neighborhood, eventTime: target, flowVehiclesPerHour: flow, speedKmh: speed,
                            occupancy: 0.2, sampleCount: 3, revision: 0, ingestTime: target + Interval.lengthMillis))
                    let bad = neighborhood == degraded && i >= degradedFrom * 12
                    result.predictions.append(
                        Forecast(
                            requestID: "req-\(i)", segmentID: segment, neighborhood: neighborhood, eventTime: target - 15 * 60_000,
                            horizonMinutes: 15, predictedSpeedKmh: speed + 2 * generator.normal() + (bad ? 8 : 0),
                            predictedFlowVehiclesPerHour: flow + 30 * generator.normal() + (bad ? 200 : 0), modelName: "traffic",
                            modelVersion: 1, role: .production, featureStep: target - 20 * 60_000,
                            baselineSpeedKmh: speed + 3 * generator.normal(), baselineFlowVehiclesPerHour: flow + 45 * generator.normal()))
                }
            }
        }
        return result
    }

    /// The late correction: Alpha's first segment in hour 1, 12:30 → a very different speed.
    static func correction(of scenario: Scenario) -> TrafficObservation {
        let target = start + 3_600_000 + 30 * 60_000
        var o = scenario.observations.first { $0.segmentID == "alpha-0" && $0.eventTime == target }!
        o.revision = 2
        o.speedKmh = (o.speedKmh ?? 0) - 20
        return o
    }

    struct Expected: Equatable {
        var n: Int
        var mae: Double
        var rmse: Double
        var bias: Double
        var baselineMAE: Double
    }

    /// Brute force: every hour x neighborhood x target from the pairs, with the newest actuals.
    static func bruteForce(_ scenario: Scenario, actuals: [TrafficObservation]) -> [String: Expected] {
        var newest: [String: TrafficObservation] = [:]
        for o in actuals where (newest["\(o.segmentID)|\(o.eventTime)"]?.revision ?? -1) < o.revision {
            newest["\(o.segmentID)|\(o.eventTime)"] = o
        }
        var errors: [String: [(Double, Double)]] = [:]
        for f in scenario.predictions {
            guard let actual = newest["\(f.segmentID)|\(f.targetTime)"] else { continue }
            let hour = f.targetTime - f.targetTime % 3_600_000
            for (target, p, b, a) in [
                ("speed_kmh", f.predictedSpeedKmh, f.baselineSpeedKmh, actual.speedKmh),
                ("flow_veh_h", f.predictedFlowVehiclesPerHour, f.baselineFlowVehiclesPerHour, actual.flowVehiclesPerHour),
            ] {
                guard let p, let b, let a else { continue }
                errors["\(hour)|\(f.neighborhood)|\(target)", default: []].append((p - a, b - a))
            }
        }
        return errors.mapValues { pairs in
            let n = Double(pairs.count)
            return Expected(
                n: pairs.count, mae: pairs.map { abs($0.0) }.reduce(0, +) / n,
                rmse: (pairs.map { $0.0 * $0.0 }.reduce(0, +) / n).squareRoot(),
                bias: pairs.map(\.0).reduce(0, +) / n, baselineMAE: pairs.map { abs($0.1) }.reduce(0, +) / n)
        }
    }

    static func compare(_ rows: [WindowMetrics], _ expected: [String: Expected]) {
        let hourly = rows.filter { $0.windowKind == "hour" && $0.role == "production" }
        #expect(hourly.count == expected.count)
        for row in hourly {
            guard let want = expected["\(row.windowStart)|\(row.neighborhood)|\(row.target)"] else {
                Issue.record("unexpected window \(row.windowStart) \(row.neighborhood) \(row.target)")
                continue
            }
            #expect(row.count == want.n)
            #expect(abs((row.mae ?? .nan) - want.mae) < 1e-9)
            #expect(abs((row.rmse ?? .nan) - want.rmse) < 1e-9)
            #expect(abs((row.bias ?? .nan) - want.bias) < 1e-9)
            #expect(abs((row.baselineMAE ?? .nan) - want.baselineMAE) < 1e-9)
        }
    }

    @Test func joinsScoresRescoresAndAlertsOnlyTheDegradedNeighborhood() async throws {
        try await MonitorHarness.with { harness in
            // The registry knows version 1 and its test-period error, as the trainer logs it.
            try await harness.registerVersion(metrics: [
                MetricPoint(key: "test.candidate.speed_kmh.h15.mae", value: 1.6, timestamp: 1),
                MetricPoint(key: "test.candidate.speed_kmh.h15.Beta.mae", value: 1.5, timestamp: 1),
            ])
            let scenario = Self.scenario()
            let pipeline = try harness.pipeline()
            let task = Task { try await pipeline.run() }
            defer { pipeline.stop() }
            // Predictions first (a redelivered duplicate of the first hundred among them), then actuals.
            let afterActuals = try await harness.replay(
                predictions: scenario.predictions, redelivered: 100, observations: scenario.observations, through: pipeline)

            let pairs = try await harness.database.query(
                "SELECT count(*), count(actual_revision) FROM monitor_pairs", logger: TestStack.logger
            ).decode((Int64, Int64).self).first { _ in true }
            #expect(pairs?.0 == Int64(scenario.predictions.count))
            #expect(pairs?.1 == Int64(scenario.predictions.count))
            #expect(pipeline.progress.value.joined == scenario.predictions.count)
            #expect(pipeline.progress.value.rescored == 0)

            let rows = try await WindowStore.rows(kind: "hour", from: 0, to: .max / 2, on: harness.database, logger: TestStack.logger)
            Self.compare(rows, Self.bruteForce(scenario, actuals: scenario.observations))
            // Ratio to the test period: Beta's own figure, the city-wide one elsewhere.
            let beta = rows.first { $0.neighborhood == "Beta" && $0.target == "speed_kmh" }
            let alpha = rows.first { $0.neighborhood == "Alpha" && $0.target == "speed_kmh" }
            #expect(beta?.testMAE == 1.5)
            #expect(alpha?.testMAE == 1.6)
            #expect(rows.first { $0.target == "flow_veh_h" }?.testMAE == nil)

            // The late correction re-scores its pair, its hour and its day.
            let correction = Self.correction(of: scenario)
            try await harness.publish(observations: [correction])
            try await harness.waitFor(messages: afterActuals + 1, pipeline)
            let rescored = try await harness.database.query(
                "SELECT actual_speed, actual_revision FROM monitor_pairs WHERE segment_id = 'alpha-0' AND target_time = \(correction.eventTime)",
                logger: TestStack.logger
            ).decode((Double?, Int32?).self).first { _ in true }
            #expect(rescored?.0 == correction.speedKmh)
            #expect(rescored?.1 == 2)
            #expect(pipeline.progress.value.rescored == 1)
            let after = try await WindowStore.rows(kind: "hour", from: 0, to: .max / 2, on: harness.database, logger: TestStack.logger)
            Self.compare(after, Self.bruteForce(scenario, actuals: scenario.observations + [correction]))
            let before = rows.first { $0.neighborhood == "Alpha" && $0.target == "speed_kmh" && $0.windowStart == Self.start + 3_600_000 }
            let now = after.first { $0.neighborhood == "Alpha" && $0.target == "speed_kmh" && $0.windowStart == Self.start + 3_600_000 }
            #expect(before?.mae != now?.mae)
            let day = try await WindowStore.rows(kind: "day", from: 0, to: .max / 2, on: harness.database, logger: TestStack.logger)
            #expect(day.filter { $0.target == "speed_kmh" }.map(\.count).reduce(0, +) == scenario.predictions.count)

            // Hours 0...8 are judged (clock 9:55, 15 min grace); Beta is bad from hour 2: open at hour 4.
            let alerts = try await harness.drainAlerts(atLeast: 1)
            #expect(alerts.count == 1)
            let alert = try #require(alerts.first)
            #expect(alert.neighborhood == "Beta")
            #expect(alert.state == .open)
            #expect(alert.windowStart == Self.start + 4 * 3_600_000)
            #expect(alert.value >= alert.threshold)
            #expect(alert.modelName == "traffic" && alert.modelVersion == 1)
            let stored = try await AlertStore.alerts(
                state: nil, neighborhood: nil, limit: 10, on: harness.database, logger: TestStack.logger)
            #expect(stored.map(\.alertID) == [alert.alertID])

            // The HTTP API and the dashboard show the same.
            let router = Router()
            MonitorRoutes.add(to: router, database: harness.database, progress: pipeline.progress, logger: TestStack.logger)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/api/v1/alerts?state=open", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(alert.alertID))
                }
                try await client.execute(uri: "/api/v1/alerts?state=closed", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("state must be open or resolved"))
                }
                try await client.execute(uri: "/api/v1/accuracy?window=day&neighborhood=Beta", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("\"neighborhood\":\"Beta\""))
                    #expect(!String(buffer: response.body).contains("\"neighborhood\":\"Alpha\""))
                }
                try await client.execute(uri: "/api/v1/accuracy?from=9&to=1", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/dashboard", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(response.status == .ok)
                    for neighborhood in Self.neighborhoods { #expect(page.contains(neighborhood)) }
                    #expect(page.contains(alert.summary.replacingOccurrences(of: "<", with: "&lt;")))
                }
            }
            pipeline.stop()
            try await task.value
        }
    }
}
