import CablecarDomain
import CablecarDrift
import CablecarForecasting
import CablecarKafka
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarTrainer

/// A registry that stops inside `registerCandidate`, before touching the store, and says when it
/// got there. `pause` nil: forever, ignoring cancellation, what the database sees when a trainer
/// process dies right at registration (nothing after this point ever runs for that attempt);
/// otherwise that long, cancellably (a long training run, as the queue sees it).
struct PausingRegistry: TrainingRegistry {
    let inner: RegistryTrainingRegistry
    var pause: Duration?
    let reached: AsyncStream<Void>.Continuation
    /// Says so when the run's dataset is logged instead (the last call before the fit), and
    /// pauses nowhere.
    var signalsBeforeTheFit = false
    /// Told when a run is closed (the first call after a stopped fit).
    var runClosed: AsyncStream<ContinuousClock.Instant>.Continuation?

    func startRun(experiment: String, name: String, tags: [String: String]) async throws -> String {
        try await inner.startRun(experiment: experiment, name: name, tags: tags)
    }
    func logParams(runID: String, _ params: [String: String]) async throws { try await inner.logParams(runID: runID, params) }
    func logMetrics(runID: String, _ metrics: [(name: String, value: Double)]) async throws {
        try await inner.logMetrics(runID: runID, metrics)
    }
    func logDataset(runID: String, fingerprint: String, featureVersions: [String: Int], description: [String: String]) async throws {
        try await inner.logDataset(runID: runID, fingerprint: fingerprint, featureVersions: featureVersions, description: description)
        if signalsBeforeTheFit { reached.yield() }
    }
    func logArtifact(runID: String, path: String, bytes: [UInt8]) async throws {
        try await inner.logArtifact(runID: runID, path: path, bytes: bytes)
    }
    func finishRun(runID: String, failure: String?) async throws {
        runClosed?.yield(ContinuousClock.now)
        try await inner.finishRun(runID: runID, failure: failure)
    }
    func productionModel(_ model: String) async throws -> (version: Int, artifact: [UInt8])? { try await inner.productionModel(model) }
    func registerCandidate(model: String, runID: String, artifact: [UInt8], sha256: String, description: String) async throws -> Int {
        if signalsBeforeTheFit {
            return try await inner.registerCandidate(
                model: model, runID: runID, artifact: artifact, sha256: sha256, description: description)
        }
        reached.yield()
        guard let pause else {
            // Never returns, ignores cancellation: the process is gone.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in Graveyard.shared.bury(continuation) }
            return -1
        }
        try await Task.sleep(for: pause)
        return try await inner.registerCandidate(model: model, runID: runID, artifact: artifact, sha256: sha256, description: description)
    }
    func transition(model: String, version: Int, to stage: String, actor: String, reason: String) async throws {
        try await inner.transition(model: model, version: version, to: stage, actor: actor, reason: reason)
    }
}

/// Keeps the continuations of "dead" calls alive (never resumed) so the runtime does not report
/// them as leaked.
final class Graveyard: @unchecked Sendable {
    static let shared = Graveyard()
    private let lock = NSLock()
    private var buried: [CheckedContinuation<Void, Never>] = []
    func bury(_ continuation: CheckedContinuation<Void, Never>) { lock.withLock { buried.append(continuation) } }
}

@Suite struct WorkerIntegrationTests {
    @Test func twoTrainingRequestsAtOnceDoNotCorruptTheRegistry() async throws {
        // This test is about concurrent registrations and promotion. The synthetic city has two
        // segments per neighborhood, so per-neighborhood cells are noisy: the equity margin is
        // loosened here (PromotionGateTests and EquityGateTests test the gates themselves).
        try await TrainerHarness.with(gates: GateConfiguration(neighborhoodMargin: 0.15)) { harness in
            try await harness.queue.enqueue(TrainerHarness.request("first"), source: "http")
            try await harness.queue.enqueue(TrainerHarness.request("second", days: 13), source: "http")
            async let a = harness.worker("worker-a").runNext()
            async let b = harness.worker("worker-b").runNext()
            let (ranA, ranB) = try await (a, b)
            #expect(ranA && ranB)
            let first = try #require(try await harness.queue.status("first"))
            let second = try #require(try await harness.queue.status("second"))
            #expect(first.state == .succeeded, "\(first.error ?? "")")
            #expect(second.state == .succeeded, "\(second.error ?? "")")
            let versions = try await harness.store.versions(modelName: "traffic-test")
            #expect(Set(versions.map(\.version)) == [1, 2])
            #expect(Set([first.modelVersion, second.modelVersion]) == [1, 2])
            #expect(versions.filter { $0.stage == .production }.count == 1)
            for status in [first, second] {
                let outcome = try #require(status.outcome)
                let version = try #require(versions.first { $0.version == outcome.modelVersion })
                #expect(version.runID == outcome.runID)
                #expect(version.artifactSHA256 == outcome.artifactSHA256)
                let bytes = try await harness.store.artifact(of: version)
                #expect(ArtifactCodec.sha256Hex(bytes) == outcome.artifactSHA256)
                _ = try RidgeForecastModel.load(artifact: bytes)
                // The drift reference the monitor reads: every neighborhood, its features and the
                // model's predictions per target and horizon.
                let reference = try ReferenceProfile.load(
                    try await harness.store.artifact(runID: outcome.runID, path: ReferenceProfile.artifactPath))
                #expect(!reference.neighborhoods.isEmpty)
                for (neighborhood, summaries) in reference.neighborhoods {
                    #expect(summaries.keys.contains { !$0.hasPrefix("prediction.") }, "\(neighborhood) lacks features")
                    for horizon in [15, 30, 60] {
                        let name = ReferenceProfile.predictionName(target: "speed_kmh", horizonMinutes: horizon)
                        #expect(summaries.keys.contains(name), "\(neighborhood) lacks \(name)")
                    }
                    #expect(summaries.values.allSatisfy { $0.isValid })
                }
                let run = try #require(try await harness.store.run(id: outcome.runID))
                #expect(run.status == .finished)
                let transitions = try await harness.store.transitions(modelName: "traffic-test", version: outcome.modelVersion)
                // Whichever finished second was gated against the first as production.
                if outcome.promoted {
                    #expect(outcome.verdict.passed)
                    #expect(
                        transitions.contains {
                            $0.toStage == .production && $0.actor == "cablecar-trainer" && $0.reason.contains("gates passed")
                        })
                } else {
                    #expect(!outcome.verdict.passed)
                    #expect(version.stage == .candidate)
                }
            }
            #expect(
                first.outcome?.promoted == true || second.outcome?.promoted == true,
                "first: \(first.outcome?.verdict.summary ?? "-"); second: \(second.outcome?.verdict.summary ?? "-")")
        }
    }

    @Test func aFailingRequestIsRecordedAsFailedWithItsReasonAndTheWorkerGoesOn() async throws {
        try await TrainerHarness.with { harness in
            // A month no data exists for: the snapshot is empty.
            try await harness.queue.enqueue(TrainerHarness.request("empty", days: 7, offsetDays: 400), source: "http")
            try await harness.queue.enqueue(TrainerHarness.request("good"), source: "http")
            let worker = harness.worker("worker-1")
            #expect(try await worker.runNext())
            #expect(try await worker.runNext())
            #expect(try await !worker.runNext(), "the queue is empty")
            let failed = try #require(try await harness.queue.status("empty"))
            #expect(failed.state == .failed)
            #expect(failed.error?.contains("no rows") == true, "\(failed.error ?? "")")
            let runID = try #require(failed.runID)
            let run = try #require(try await harness.store.run(id: runID))
            #expect(run.status == .failed)
            #expect(run.failureReason?.contains("no rows") == true)
            let good = try #require(try await harness.queue.status("good"))
            #expect(good.state == .succeeded, "\(good.error ?? "")")
            #expect(try await harness.store.versions(modelName: "traffic-test").count == 1)
        }
    }

    @Test func aCrashMidRunLeavesNoHalfRegisteredVersionAndTheRequestIsRetried() async throws {
        try await TrainerHarness.with { harness in
            try await harness.queue.enqueue(TrainerHarness.request("crashing"), source: "topic")
            let (reached, continuation) = AsyncStream<Void>.makeStream()
            let dying = PausingRegistry(inner: RegistryTrainingRegistry(store: harness.store), pause: nil, reached: continuation)
            let doomed = harness.worker("doomed", registry: dying)
            // Never finishes once registration is reached: the "process" died there. Its heartbeat
            // is cancelled with the test, as a dead process's would be.
            let dead = Task {
                defer { continuation.finish() }
                _ = try? await doomed.runNext()
            }
            defer { dead.cancel() }
            try await nextSignal(from: reached, "the doomed worker reaching registration")
            let during = try #require(try await harness.queue.status("crashing"))
            #expect(during.state == .running)
            let abandonedRun = try #require(during.runID)
            #expect(try await harness.store.versions(modelName: "traffic-test").isEmpty, "no version while the run is cut off")
            // The run holds its drift reference (stored before registration), never a model artifact.
            let modelArtifacts = try await harness.scalar(
                "SELECT count(*) FROM registry_artifacts WHERE run_id = \(abandonedRun) AND path <> \(ReferenceProfile.artifactPath)")
            #expect(modelArtifacts == 0)

            // Before the lease runs out nobody else takes it; once it has (the dead worker renews
            // nothing), a healthy worker does. Time is moved on in the table, not waited for.
            let healthy = harness.worker("healthy")
            #expect(try await !healthy.runNext())
            try await harness.database.query(
                "UPDATE trainer_requests SET lease_expires_at = now() - interval '1 second' WHERE request_id = 'crashing'",
                logger: TestStack.logger)
            #expect(try await healthy.runNext())
            let done = try #require(try await harness.queue.status("crashing"))
            #expect(done.state == .succeeded, "\(done.error ?? "")")
            #expect(done.attempts == 2)
            let versions = try await harness.store.versions(modelName: "traffic-test")
            #expect(versions.count == 1)
            #expect(versions.first?.runID == done.runID)
            #expect(done.runID != abandonedRun)
            let old = try #require(try await harness.store.run(id: abandonedRun))
            #expect(old.status == .failed)
            #expect(old.failureReason?.contains("abandoned") == true)
        }
    }

    @Test func aDuplicateRequestIDIsTrainedOnceAndAnAlertBecomesARequest() async throws {
        try await TrainerHarness.with { harness in
            let request = TrainerHarness.request("dup-1")
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    client: KafkaClientConfiguration(brokers: harness.brokers, clientID: "trainer-test")),
                logger: TestStack.logger)
            let body = Array(try JSONEncoder().encode(request))
            for _ in 0..<3 {
                try await producer.enqueue(topic: harness.configuration.name(of: .trainRequests), key: Array("dup-1".utf8), value: body)
            }
            let alert =
                #"{"alert_id":"A-17","event_time":\#(SyntheticSnapshot.monday + 14 * 86_400_000),"neighborhood":"Beta","kind":"drift"}"#
            try await producer.enqueue(topic: harness.configuration.name(of: .monitorAlerts), key: nil, value: Array(alert.utf8))
            try await producer.enqueue(topic: harness.configuration.name(of: .monitorAlerts), key: nil, value: Array(alert.utf8))
            try await producer.flush()
            await producer.close()
            #expect(try await harness.queue.enqueue(request, source: "http"), "first arrival (over HTTP) is queued")

            let intake = try RequestIntake(
                brokers: harness.brokers, queue: harness.queue, configuration: harness.configuration, logger: TestStack.logger, watch: nil)
            let consuming = Task { try await intake.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if try await harness.scalar("SELECT count(*) FROM trainer_requests") >= 2 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(1))  // let the redeliveries arrive too
            await intake.stop()
            _ = try? await consuming.value
            #expect(try await harness.scalar("SELECT count(*) FROM trainer_requests") == 2)
            let fromAlert = try #require(try await harness.queue.status("alert-A-17"))
            #expect(fromAlert.request.reason == .alert)
            #expect(fromAlert.source == "alert")
            #expect(fromAlert.request.detail?.contains("Beta") == true)
            #expect(fromAlert.request.end == SyntheticSnapshot.monday + 14 * 86_400_000)

            let worker = harness.worker("worker-1")
            while try await worker.runNext() {}
            let status = try #require(try await harness.queue.status("dup-1"))
            #expect(status.state == .succeeded)
            #expect(status.attempts == 1)
            let runs = try await harness.scalar(
                "SELECT count(*) FROM registry_run_tags WHERE key = 'request_id' AND value = 'dup-1'")
            #expect(runs == 1, "one run for the request, however often it arrived")
            #expect(try await harness.queue.enqueue(request, source: "http") == false)
        }
    }

    @Test func anAlertStormQueuesOneRetrainingOnTheNewestWindow() async throws {
        try await TrainerHarness.with { harness in
            let translator = AlertTranslator(windowDays: 7)
            func alert(_ id: String, hours: Int64) throws -> TrainingRequest {
                let time = SyntheticSnapshot.monday + 14 * 86_400_000 + hours * 3_600_000
                let body = #"{"alert_id":"\#(id)","event_time":\#(time),"state":"open","neighborhood":"Beta"}"#
                return try #require(try translator.request(fromAlert: Array(body.utf8), receivedAt: time))
            }
            let first = try alert("S-1", hours: 0)
            #expect(try await harness.queue.enqueueAlert(first) == .queued)
            #expect(try await harness.queue.enqueueAlert(try alert("S-2", hours: 2)) == .merged(into: "alert-S-1"))
            let newest = try alert("S-3", hours: 3)
            #expect(try await harness.queue.enqueueAlert(newest) == .merged(into: "alert-S-1"))
            #expect(try await harness.queue.enqueueAlert(try alert("S-2", hours: 2)) == .duplicate, "a redelivered alert")
            #expect(try await harness.queue.enqueueAlert(try alert("S-0", hours: -1)) == .merged(into: "alert-S-1"))

            let queued = try #require(try await harness.queue.status("alert-S-1"))
            #expect(queued.state == .queued)
            #expect(queued.request.end == newest.end, "the queued retraining moved to the newest alert's window")
            #expect(queued.request.start == newest.start)
            let merged = try #require(try await harness.queue.status("alert-S-3"))
            #expect(merged.state == .merged)
            #expect(merged.mergedInto == "alert-S-1")
            #expect(try await harness.scalar("SELECT count(*) FROM trainer_requests WHERE status = 'queued'") == 1)

            // Once claimed, the retraining no longer takes merges: a later alert queues anew.
            let claim = try #require(try await harness.queue.claim(worker: "w", leaseSeconds: 60, maxAttempts: 3))
            #expect(claim.request.requestID == "alert-S-1")
            #expect(try await harness.queue.enqueueAlert(try alert("S-4", hours: 5)) == .queued)
        }
    }
}
