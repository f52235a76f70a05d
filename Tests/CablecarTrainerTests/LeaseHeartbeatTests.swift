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
        let running = Task {
            defer { continuation.finish() }
            return try await worker.runNext()
        }
        try await nextSignal(from: reached, "worker \(id) reaching registration")
        return running
    }

    @Test func aRunLongerThanItsLeaseKeepsTheRequest() async throws {
        try await TrainerHarness.with(leaseSeconds: 5, gates: GateConfiguration(neighborhoodMargin: 0.15)) { harness in
            try await harness.queue.enqueue(TrainerHarness.request("long"), source: "http")
            let running = try await Self.startPaused(harness, worker: "slow", pause: .seconds(20))
            let claimed = try await Self.leaseExpiry(harness, "long")
            // Waits on the table, not the clock: on a starved machine a beat may come late, but
            // it comes, and moves the lease on past what the claim gave.
            try await eventually(timeout: .seconds(600), every: .milliseconds(200), "the lease was never renewed") {
                try await Self.leaseExpiry(harness, "long") > claimed
            }
            #expect(try await running.value)
            let done = try #require(try await harness.queue.status("long"))
            #expect(done.state == .succeeded, "\(done.error ?? "")")
            #expect(done.attempts == 1)
            #expect(try await harness.store.versions(modelName: "traffic-test").count == 1)
        }
    }

    /// A worker stopped (shutdown cancels its task) while fitting stops within a cell or a tree,
    /// not after the whole fit, and hands the request back to the queue.
    @Test func aWorkerStoppedMidFitHandsTheRequestBackPromptly() async throws {
        try await TrainerHarness.with { original in
            // The worker fits 2,000 trees per horizon; the same fit with the default 150, timed
            // here on this machine now, is the yardstick: the worker's fit runs far longer.
            var harness = original
            let parameters = ModelParameters(
                targets: [.speed], penaltyGrid: harness.configuration.penalties, timeZone: harness.configuration.timeZone)
            let fitStarted = ContinuousClock.now
            _ = try FittedModels.fit(snapshot: TrainerHarness.snapshot, parameters: parameters)
            let yardstick = ContinuousClock.now - fitStarted
            harness.configuration.deviationTrees = 2_000

            try await harness.queue.enqueue(TrainerHarness.request("stopped"), source: "http")
            let (reached, continuation) = AsyncStream<Void>.makeStream()
            let (closed, closing) = AsyncStream<ContinuousClock.Instant>.makeStream()
            let registry = PausingRegistry(
                inner: RegistryTrainingRegistry(store: harness.store), pause: nil, reached: continuation, signalsBeforeTheFit: true,
                runClosed: closing)
            let worker = harness.worker("stopping", registry: registry)
            let running = Task {
                defer {
                    continuation.finish()
                    closing.finish()
                }
                return try await worker.runNext()
            }
            try await nextSignal(from: reached, "the worker reaching its fit")
            try await Task.sleep(for: yardstick / 2)
            let cancelled = ContinuousClock.now
            running.cancel()
            await #expect(throws: CancellationError.self) { try await running.value }
            // When the fit stopped: the job closes the run right after. (The database calls after
            // it are not the fit's: on a loaded CI machine they took seconds.)
            let stoppedIn = try await nextSignal(from: closed, "the stopped run's close") - cancelled
            #expect(stoppedIn < yardstick, "the fit stopped \(stoppedIn) after the cancellation; a fit with 150 trees takes \(yardstick)")
            let status = try #require(try await harness.queue.status("stopped"))
            #expect(status.state == .queued, "handed back for the next worker")
            #expect(try await harness.store.versions(modelName: "traffic-test").isEmpty)
            let runID = try #require(status.runID)
            let run = try #require(try await harness.store.run(id: runID))
            #expect(run.status == .failed && run.failureReason?.hasPrefix("stopped mid-run") == true, "\(run)")
        }
    }

    /// The request's lease expiry, in milliseconds since 1970.
    static func leaseExpiry(_ harness: TrainerHarness, _ requestID: String) async throws -> Int64 {
        try await harness.scalar(
            "SELECT (extract(epoch FROM lease_expires_at) * 1000)::bigint FROM trainer_requests WHERE request_id = \(requestID)")
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
