import CablecarDomain
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarFeatureStore

/// The feature store's stream while its Postgres (a cluster of the test's own) is stopped and
/// started again mid-stream.
@Suite("Feature store under a database outage", .serialized)
struct FeatureOutageTests {
    static let step = StreamScenario.step

    @Test(
        "Postgres stopped mid-stream: the pipeline keeps running, is not ready meanwhile, then writes every revision and step exactly once")
    func databaseOutage() async throws {
        let postgres = try await DedicatedPostgres.launch()
        let scenario = try StreamScenario(intervals: 2 * 288)
        try await FeatureStoreHarness.with(city: StreamScenario.city, databaseURL: postgres.url) { harness in
            let pipeline = try harness.pipeline(
                retry: RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), attemptTimeLimit: .seconds(20)))
            let run = Task { try await pipeline.run() }
            let half = scenario.messages.count / 2
            try await harness.publish(scenario.messages[..<half])
            try await harness.waitForStep(StreamScenario.start + 48 * Self.step, pipeline)
            try await offThePool { try postgres.cluster.stop() }
            try await harness.publish(scenario.messages[half...])
            // Down within the retry of a failed batch, or once a batch waiting for a connection
            // has been in flight for more than the stall limit (10 s).
            #expect(try await readinessWentDown { await pipeline.isReady() }, "readiness goes down while the database is away")
            try await offThePool { try postgres.cluster.start() }
            try await harness.waitForStep(scenario.lastInterval - 12 * Self.step, pipeline)
            // A batch may still be waiting for a connection of the restarted cluster when the
            // clock has got there: quiet only counts once every published message was consumed.
            try await harness.waitUntilConsumed(scenario.messages.count, pipeline)
            try await harness.waitUntilQuiet(pipeline)
            pipeline.stop()
            try await run.value  // a thrown error here would be the outage ending the pipeline

            let lastStep = try #require(pipeline.progress.value.lastStep)
            let firstStep = scenario.firstInterval + Self.step
            let revisions = Set(scenario.traffic.map { "\($0.segmentID)@\($0.eventTime)@\($0.revision)" })
            #expect(try await harness.scalar("SELECT count(*) FROM feature_traffic_history") == Int64(revisions.count))
            #expect(try await harness.scalar("SELECT count(*) FROM feature_context_history") == Int64(scenario.context.count))
            let steps = Int64((lastStep - firstStep) / Self.step + 1)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_steps") == steps, "every step once")
            #expect(try await harness.scalar("SELECT count(*) FROM feature_rows") == steps * 6)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_steps WHERE NOT published") == 0)
        }
    }
}
