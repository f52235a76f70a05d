import CablecarDomain
import CablecarForecasting
import CablecarKafka
import CablecarRegistry
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarTrainer

/// The trainer's half of the closed loop on a real broker and database: a lane closure in one
/// neighborhood, the monitor's alert on monitor.alerts, the retraining it becomes, the gates with
/// that neighborhood left to persistence, promotion, and the new version's error there against
/// the old one's. (cablecar run and scripts/compose-test run the same loop through every service.)
@Suite struct ClosedLoopTests {
    static let day: EpochMillis = 86_400_000
    static let neighborhoods = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]
    /// 14 days; from day 12 every speed in Gamma is 12 km/h lower.
    static let snapshot = SyntheticSnapshot.make(
        neighborhoods: neighborhoods, days: 14, drop: .init(neighborhoods: ["Gamma"], fromDay: 12, kmh: 12))

    @Test func anAlertAfterALaneClosureRetrainsAndPromotesAVersionThatRecoversTheNeighborhood() async throws {
        try await TrainerHarness.with { harness in
            // The first model: the days before the closure.
            let first = TrainerHarness.request("first", days: 12)
            #expect(try await harness.queue.enqueue(first, source: "http"))
            let worker = harness.worker("worker-loop", snapshot: Self.snapshot)
            while try await worker.runNext() {}
            let v1 = try #require(try await RegistryTrainingRegistry(store: harness.store).productionModel(harness.configuration.modelName))

            // The monitor's alert, two days into the closure, arrives over the broker.
            let onset = SyntheticSnapshot.monday + 12 * Self.day
            let alertTime = onset + 2 * Self.day
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    client: KafkaClientConfiguration(brokers: harness.brokers, clientID: "closed-loop-test")),
                logger: TestStack.logger)
            let alert = #"{"alert_id":"G-1","event_time":\#(alertTime),"state":"open","neighborhood":"Gamma","kind":"accuracy"}"#
            try await producer.enqueue(topic: harness.configuration.name(of: .monitorAlerts), key: nil, value: Array(alert.utf8))
            try await producer.flush()
            await producer.close()
            let intake = try RequestIntake(
                brokers: harness.brokers, queue: harness.queue, configuration: harness.configuration, logger: TestStack.logger, watch: nil)
            let consuming = Task { try await intake.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, try await harness.queue.status("alert-G-1") == nil {
                try await Task.sleep(for: .milliseconds(200))
            }
            await intake.stop()
            _ = try? await consuming.value
            let queued = try #require(try await harness.queue.status("alert-G-1"), "the alert became a retraining request")
            #expect(queued.request.reason == .alert)

            // Retraining: gates pass with Gamma left to persistence, and the version is promoted.
            while try await worker.runNext() {}
            let done = try #require(try await harness.queue.status("alert-G-1"))
            #expect(done.state == .succeeded)
            let v2 = try #require(try await RegistryTrainingRegistry(store: harness.store).productionModel(harness.configuration.modelName))
            #expect(v2.version > v1.version, "the retrained version is in production")
            let served = try RidgeForecastModel.load(artifact: v2.artifact)
            #expect(served.baselineRoutes.contains { $0.neighborhood == "Gamma" && $0.baseline == .persistence })
            #expect(served.baselineRoutes.allSatisfy { $0.neighborhood == "Gamma" }, "\(served.baselineRoutes)")

            // Recovered accuracy in Gamma on the closure days where the closure made production
            // lose to persistence (an hour ahead at least; the trees follow a lasting drop from
            // the recent level at shorter horizons), no worse elsewhere.
            let old = try ModelCatalog.load(artifact: v1.artifact)
            let parameters = ModelParameters(targets: [.speed])
            let data = try TrainingData(snapshot: Self.snapshot, parameters: parameters)
            let closure = onset..<(onset + 2 * Self.day)
            let persistence = try PersistenceModel.fit(
                data, split: TimeSplit(train: data.start..<onset, validation: onset..<onset, test: closure), parameters: parameters)
            let report = ModelEvaluator.evaluate(
                data: data, period: closure, models: [(.candidate, served), (.production, old), (.persistence, persistence)],
                targets: [.speed], horizons: [15, 30, 60])
            var recovered = 0
            for horizon in [15, 30, 60] {
                let before = try #require(report.errors(.production, .speed, horizon, neighborhood: "Gamma")?.mae)
                let after = try #require(report.errors(.candidate, .speed, horizon, neighborhood: "Gamma")?.mae)
                let last = try #require(report.errors(.persistence, .speed, horizon, neighborhood: "Gamma")?.mae)
                if before > last * 1.05 {
                    // Recovered: as good as persistence (within the gates' margin), and at least half
                    // of production's gap to persistence closed. (A fixed ratio to production, such
                    // as 0.8, fails whenever a better production model loses to persistence by less
                    // than 25 %, however fully the retraining recovers.)
                    recovered += 1
                    #expect(after < last * 1.05, "Gamma h\(horizon): \(after) against persistence \(last)")
                    #expect(
                        after < (before + last) / 2,
                        "Gamma h\(horizon): \(after) against \(before) before the retraining, persistence \(last)")
                } else {
                    #expect(after < before * 1.05, "Gamma h\(horizon): \(after) against \(before) before the retraining")
                }
                let city = try #require(report.errors(.candidate, .speed, horizon)?.mae)
                let cityBefore = try #require(report.errors(.production, .speed, horizon)?.mae)
                #expect(city < cityBefore, "city h\(horizon): \(city) against \(cityBefore)")
            }
            #expect(recovered >= 1, "the closure made production lose to persistence in Gamma somewhere")
        }
    }
}
