import CablecarDomain
import CablecarService
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarIngest

/// The local broker keeps its topics in memory: restarted, it comes back with none, the group's
/// committed offsets are gone, and the recreated topics' offsets start again at 0, where the
/// ledger has already counted other messages. Real Kafka does the same when a topic is deleted
/// and created again.
@Suite("Ingest across a broker restart", .serialized)
struct BrokerRestartTests {
    @Test(
        "the broker restarts empty: ingest is not ready while it is away, takes up the recreated topics, counts every new record although offsets start again at 0, and stops cleanly"
    )
    func brokerRestart() async throws {
        let broker = try await DedicatedBroker.launch()
        let records = try await OutageIntegrationTests.simulation.value.records
        let before = Array(records.prefix(6_000))
        let after = Array(records.dropFirst(6_000).prefix(6_000))
        try await IngestHarness.with(brokers: broker.brokers) { harness in
            let pipeline = try harness.pipeline(retry: OutageIntegrationTests.outageRetry)
            let run = Task { try await pipeline.run() }
            try await harness.publish(before[...])
            try await harness.waitUntilProcessed(before.count, timeout: .seconds(300))
            #expect(await pipeline.isReady())

            try await offThePool { broker.stop() }
            #expect(try await readinessWentDown { await pipeline.isReady() }, "readiness goes down while the broker is away")
            try await offThePool { try broker.start() }
            // What the simulator's producer or an operator does against a broker that forgot them.
            try await harness.createTopics()
            try await harness.publish(after[...])
            try await harness.waitUntilProcessed(before.count + after.count, timeout: .seconds(300))
            try await eventually(timeout: .seconds(60), "ingest did not report ready after the broker came back") {
                await pipeline.isReady()
            }
            pipeline.stop()
            try await run.value

            let counted = try await harness.scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts")
            #expect(counted == Int64(before.count + after.count), "every message counted once, before and after the restart")
            let retired = try await harness.scalar("SELECT count(DISTINCT topic) FROM ingest_batches WHERE topic LIKE '%~retired-%'")
            #expect(retired > 0, "the recreated partitions' earlier ledger is set aside, not overwritten")
        }
    }
}
