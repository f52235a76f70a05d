import CablecarDomain
import CablecarService
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarMonitor

/// The monitor's stream while its Postgres (a cluster of the test's own) is stopped and started
/// again mid-stream: it rides the outage out instead of exiting.
@Suite("Monitor under a database outage", .serialized)
struct MonitorOutageTests {
    @Test("Postgres stopped mid-stream: the monitor keeps running, is not ready meanwhile, then joins every pair exactly once")
    func databaseOutage() async throws {
        let postgres = try await DedicatedPostgres.launch()
        try await MonitorHarness.with(databaseURL: postgres.url) { harness in
            let scenario = MonitorPipelineIntegrationTests.scenario()
            let pipeline = try harness.pipeline(
                retry: RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), attemptTimeLimit: .seconds(20)))
            let run = Task { try await pipeline.run() }
            try await harness.publish(predictions: scenario.predictions)
            try await harness.waitFor(messages: scenario.predictions.count, pipeline)
            #expect(await pipeline.isReady())

            try await offThePool { try postgres.cluster.stop() }
            let actuals = scenario.observations.sorted { ($0.eventTime, $0.segmentID) < ($1.eventTime, $1.segmentID) }
            try await harness.publish(observations: actuals)
            #expect(try await readinessWentDown { await pipeline.isReady() }, "readiness goes down while the database is away")
            try await offThePool { try postgres.cluster.start() }
            try await harness.waitFor(messages: scenario.predictions.count + actuals.count, pipeline)
            // Everything handled is committed within the commit interval: the group's lag reaches 0.
            try await eventually(timeout: .seconds(30), "the monitor's lag did not reach 0") { try await pipeline.lag().lag == 0 }
            pipeline.stop()
            try await run.value  // a thrown error here would be the outage ending the monitor

            let pairs = try await harness.database.query(
                "SELECT count(*), count(actual_revision) FROM monitor_pairs", logger: TestStack.logger
            ).decode((Int64, Int64).self).first { _ in true }
            #expect(pairs?.0 == Int64(scenario.predictions.count), "every prediction stored once")
            #expect(pairs?.1 == Int64(scenario.predictions.count), "every prediction joined with its actual")
            #expect(pipeline.progress.value.messages == scenario.predictions.count + actuals.count, "no batch counted twice")
        }
    }
}
