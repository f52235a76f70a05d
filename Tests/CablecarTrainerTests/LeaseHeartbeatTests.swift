import CablecarDomain
import CablecarForecasting
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarTrainer

/// The worker's heartbeat: a run longer than the lease keeps its request, and a worker whose
/// lease another worker took drops its attempt instead of registering a second version.
@Suite struct LeaseHeartbeatTests {
    /// Starts a worker on the queued request; returns once its run has reached registration,
    /// where it pauses for `pause`.
    static func startPaused(_ harness: TrainerHarness, worker id: String, pause: Duration) async throws -> Task<Bool, any Error> {
        let (reached, continuation) = AsyncStream<Void>.makeStream()
        let registry = PausingRegistry(inner: RegistryTrainingRegistry(store: harness.store), pause: pause, reached: continuation)
        let worker = harness.worker(id, registry: registry)
        let running = Task { try await worker.runNext() }
        var iterator = reached.makeAsyncIterator()
        _ = await iterator.next()
        return running
    }

    @Test func aRunLongerThanItsLeaseKeepsTheRequest() async throws {
        // Leases of 5 s (the least the configuration allows) renewed every 1.7 s, so that a
        // starved test machine does not miss a renewal by chance.
        try await TrainerHarness.with(leaseSeconds: 5, gates: GateConfiguration(neighborhoodMargin: 0.15)) { harness in
            try await harness.queue.enqueue(TrainerHarness.request("long"), source: "http")
            let running = try await Self.startPaused(harness, worker: "slow", pause: .seconds(13))
            // For two and a half leases another worker finds nothing to claim.
            let other = harness.worker("other")
            let until = ContinuousClock.now + .seconds(12.5)
            while ContinuousClock.now < until {
                #expect(try await !other.runNext(), "the request was taken from a worker that was still training")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(try await running.value)
            let done = try #require(try await harness.queue.status("long"))
            #expect(done.state == .succeeded, "\(done.error ?? "")")
            #expect(done.attempts == 1)
            #expect(try await harness.store.versions(modelName: "traffic-test").count == 1)
        }
    }

    @Test func aWorkerWhoseLeaseWasTakenRegistersNothing() async throws {
        try await TrainerHarness.with(leaseSeconds: 2) { harness in
            try await harness.queue.enqueue(TrainerHarness.request("taken"), source: "http")
            // Were the attempt not ended, it would register its version when the pause is over.
            let running = try await Self.startPaused(harness, worker: "stalled", pause: .seconds(600))
            // What the table shows after the stalled worker missed its lease and another claimed it.
            try await harness.database.query(
                "UPDATE trainer_requests SET claimed_by = 'successor' WHERE request_id = 'taken'", logger: TestStack.logger)
            #expect(try await running.value, "the heartbeat ended the stalled attempt and the worker goes on")
            let status = try #require(try await harness.queue.status("taken"))
            #expect(status.state == .running, "the successor's attempt is untouched")
            #expect(try await harness.store.versions(modelName: "traffic-test").isEmpty)
            let holder = try await harness.database.query(
                "SELECT claimed_by FROM trainer_requests WHERE request_id = 'taken'", logger: TestStack.logger
            ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
            #expect(holder == ["successor"])
        }
    }
}
