import CablecarDomain
import CablecarForecasting
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarTrainer

/// A registry that pauses inside `registerCandidate` (a long training run, as the queue sees
/// it) and says when it got there.
struct PausingRegistry: TrainingRegistry {
    let inner: RegistryTrainingRegistry
    let pause: Duration
    let reached: AsyncStream<Void>.Continuation

    func startRun(experiment: String, name: String, tags: [String: String]) async throws -> String {
        try await inner.startRun(experiment: experiment, name: name, tags: tags)
    }
    func logParams(runID: String, _ params: [String: String]) async throws { try await inner.logParams(runID: runID, params) }
    func logMetrics(runID: String, _ metrics: [(name: String, value: Double)]) async throws {
        try await inner.logMetrics(runID: runID, metrics)
    }
    func logDataset(runID: String, fingerprint: String, featureVersions: [String: Int], description: [String: String]) async throws {
        try await inner.logDataset(runID: runID, fingerprint: fingerprint, featureVersions: featureVersions, description: description)
    }
    func logArtifact(runID: String, path: String, bytes: [UInt8]) async throws {
        try await inner.logArtifact(runID: runID, path: path, bytes: bytes)
    }
    func finishRun(runID: String, failure: String?) async throws { try await inner.finishRun(runID: runID, failure: failure) }
    func productionModel(_ model: String) async throws -> (version: Int, artifact: [UInt8])? { try await inner.productionModel(model) }
    func registerCandidate(model: String, runID: String, artifact: [UInt8], sha256: String, description: String) async throws -> Int {
        reached.yield()
        try await Task.sleep(for: pause)
        return try await inner.registerCandidate(model: model, runID: runID, artifact: artifact, sha256: sha256, description: description)
    }
    func transition(model: String, version: Int, to stage: String, actor: String, reason: String) async throws {
        try await inner.transition(model: model, version: version, to: stage, actor: actor, reason: reason)
    }
}

/// The worker's heartbeat: a run longer than the lease keeps its request, and a worker whose
/// lease another worker took drops its attempt instead of registering a second version.
@Suite struct LeaseHeartbeatTests {
    @Test func aRunLongerThanItsLeaseKeepsTheRequest() async throws {
        try await TrainerHarness.with(leaseSeconds: 2, gates: GateConfiguration(neighborhoodMargin: 0.15)) { harness in
            try await harness.queue.enqueue(TrainerHarness.request("long"), source: "http")
            let (reached, continuation) = AsyncStream<Void>.makeStream()
            let registry = PausingRegistry(
                inner: RegistryTrainingRegistry(store: harness.store), pause: .seconds(5), reached: continuation)
            let slow = harness.worker("slow", registry: registry)
            let running = Task { try await slow.runNext() }
            var iterator = reached.makeAsyncIterator()
            _ = await iterator.next()
            // For two and a half leases another worker finds nothing to claim.
            let other = harness.worker("other")
            let until = ContinuousClock.now + .seconds(5)
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
            let (reached, continuation) = AsyncStream<Void>.makeStream()
            let registry = PausingRegistry(
                inner: RegistryTrainingRegistry(store: harness.store), pause: .seconds(30), reached: continuation)
            let stalled = harness.worker("stalled", registry: registry)
            let running = Task { try await stalled.runNext() }
            var iterator = reached.makeAsyncIterator()
            _ = await iterator.next()
            // What the table shows after the stalled worker missed its lease and another claimed it.
            try await harness.database.query(
                "UPDATE trainer_requests SET claimed_by = 'successor' WHERE request_id = 'taken'", logger: TestStack.logger)
            let started = ContinuousClock.now
            #expect(try await running.value, "the worker goes on to the next request")
            #expect(ContinuousClock.now - started < .seconds(10), "the heartbeat ended the stalled attempt")
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
