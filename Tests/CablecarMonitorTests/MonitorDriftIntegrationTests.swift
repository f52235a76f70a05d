import CablecarDomain
import CablecarDrift
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CablecarMonitor

/// Drift against a real Postgres and broker: the registry holds version 1 with the reference
/// profile the trainer stores; predictions carry the served features; Beta's served speeds fall
/// by three standard deviations from hour 3 (its predictions stay accurate, so accuracy raises
/// nothing). Exactly one alert opens, a drift alert for Beta, and the drift API shows the finding.
@Suite(.serialized) struct MonitorDriftIntegrationTests {
    static let start = SyntheticWindows.start
    static let hours = 10
    static let neighborhoods = ["Alpha", "Beta", "Gamma"]
    static let driftFrom = 3

    static func reference() -> ReferenceProfile {
        var generator = Generator(seed: 11)
        var neighborhoods: [String: [String: QuantileSummary]] = [:]
        for name in Self.neighborhoods {
            neighborhoods[name] = [
                "speed_lag_1": QuantileSummary(values: (0..<5_000).map { _ in 50 + 5 * generator.normal() }),
                "flow_lag_1": QuantileSummary(values: (0..<5_000).map { _ in 900 + 50 * generator.normal() }),
                "prediction.speed_kmh.h15": QuantileSummary(values: (0..<5_000).map { _ in 50 + 5 * generator.normal() }),
            ]
        }
        return ReferenceProfile(source: "test", neighborhoods: neighborhoods)
    }

    static func scenario() -> (observations: [TrafficObservation], predictions: [Forecast]) {
        var generator = Generator(seed: 5)
        var observations: [TrafficObservation] = []
        var predictions: [Forecast] = []
        for neighborhood in neighborhoods {
            for s in 0..<4 {
                let segment = "\(neighborhood.lowercased())-\(s)"
                for i in 0..<(hours * 12) {
                    let target = start + EpochMillis(i) * Interval.lengthMillis
                    let speed = 50 + 5 * generator.normal()
                    let flow = 900 + 50 * generator.normal()
                    observations.append(
                        TrafficObservation(
                            segmentID: segment, neighborhood: neighborhood, eventTime: target, flowVehiclesPerHour: flow, speedKmh: speed,
                            occupancy: 0.2, sampleCount: 3, revision: 0, ingestTime: target + Interval.lengthMillis))
                    let drifted = neighborhood == "Beta" && i >= driftFrom * 12
                    let issue = target - 15 * 60_000
                    predictions.append(
                        Forecast(
                            requestID: "req-\(i)", segmentID: segment, neighborhood: neighborhood, eventTime: issue, horizonMinutes: 15,
                            predictedSpeedKmh: speed + generator.normal(), predictedFlowVehiclesPerHour: flow + 20 * generator.normal(),
                            modelName: "traffic", modelVersion: 1, role: .production, featureStep: issue - 5 * 60_000,
                            baselineSpeedKmh: speed + 4 * generator.normal(), baselineFlowVehiclesPerHour: flow + 80 * generator.normal(),
                            features: [
                                "speed_lag_1": 50 + 5 * generator.normal() - (drifted ? 15 : 0),
                                "flow_lag_1": 900 + 50 * generator.normal(),
                            ]))
                }
            }
        }
        return (observations, predictions)
    }

    @Test func servedFeaturesThatLeaveTheReferenceOpenADriftAlertForThatNeighborhoodOnly() async throws {
        var configuration = MonitorConfiguration()
        configuration.driftWindowHours = 2
        try await MonitorHarness.with(configuration: configuration) { harness in
            try await harness.registerVersion(artifacts: [ReferenceProfile.artifactPath: try Self.reference().jsonBytes()])
            let scenario = Self.scenario()
            let pipeline = try harness.pipeline()
            let task = Task { try await pipeline.run() }
            defer { pipeline.stop() }
            // A redelivered stretch among the predictions: stored once.
            _ = try await harness.replay(
                predictions: scenario.predictions, redelivered: 50, observations: scenario.observations, through: pipeline)

            let served = try await harness.database.query("SELECT count(*) FROM monitor_served_features", logger: TestStack.logger)
                .decode(Int64.self).first { _ in true }
            #expect(served == Int64(scenario.predictions.count))
            // Each row kept its own names and values (sliced out of the batch's flat arrays).
            let sample = try await harness.database.query(
                "SELECT feature_names, feature_values FROM monitor_served_features WHERE request_id = 'req-40' AND segment_id = 'beta-2'",
                logger: TestStack.logger
            ).decode(([String], [Double]).self).first { _ in true }
            let expected = try #require(
                scenario.predictions.first { $0.requestID == "req-40" && $0.segmentID == "beta-2" }?.features)
            #expect(sample?.0 == expected.keys.sorted())
            #expect(sample?.1 == expected.keys.sorted().compactMap { expected[$0] })

            // Hours 0...8 are judged; the 2-hour windows ending at 4, 5 and 6 h hold Beta's shifted
            // speeds: the alert opens with the third.
            let alerts = try await harness.drainAlerts(atLeast: 1)
            #expect(alerts.count == 1, "\(alerts.map { "\($0.neighborhood) \($0.metric)" })")
            let alert = try #require(alerts.first)
            #expect(alert.neighborhood == "Beta")
            #expect(alert.metric == "feature.speed_lag_1.wasserstein")
            #expect(alert.windowEnd == Self.start + 6 * 3_600_000)
            #expect(alert.value > 2)

            let router = Router()
            MonitorRoutes.add(to: router, database: harness.database, progress: pipeline.progress, logger: TestStack.logger)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/api/v1/drift?latest=true&neighborhood=Beta", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = String(buffer: response.body)
                    #expect(body.contains("\"name\":\"speed_lag_1\""))
                    #expect(body.contains("\"name\":\"prediction.speed_kmh.h15\""))
                    #expect(!body.contains("\"neighborhood\":\"Alpha\""))
                }
                try await client.execute(uri: "/dashboard", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(page.contains("Feature × neighborhood drift"))
                    #expect(page.contains("<td class=\"name\">speed_lag_1</td>"))
                }
                try await client.execute(uri: "/api/v1/drift?latest=maybe", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
            }
            let drifted = try await DriftStore.findings(
                from: 0, to: 1 << 50, neighborhood: nil, latest: true, limit: 1000, on: harness.database, logger: TestStack.logger)
            for finding in drifted where finding.neighborhood != "Beta" {
                #expect(finding.shift.normalizedWasserstein < 0.5, "\(finding.neighborhood) \(finding.name)")
            }
            #expect(drifted.contains { $0.neighborhood == "Beta" && $0.name == "speed_lag_1" && $0.shift.evidentlyDrifted })
            pipeline.stop()
            try await task.value
        }
    }
}
