import CablecarDomain
import CablecarService
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Takes requests off the queue one at a time and runs them. A failing request is recorded as
/// failed with its reason and the worker goes on; only a database outage stops the loop (the
/// service then exits and its supervisor restarts it; the lease hands the request back).
public final class TrainingWorker: Service, Sendable {
    private let queue: RequestQueue
    private let job: TrainingJob
    private let configuration: TrainerConfiguration
    private let workerID: String
    private let watch: OutageWatch?
    private let logger: Logger
    private let startup: @Sendable () async -> Void
    private let succeeded = Counter(label: "cablecar_trainer_requests_total", dimensions: [("outcome", "succeeded")])
    private let failed = Counter(label: "cablecar_trainer_requests_total", dimensions: [("outcome", "failed")])
    private let promoted = Counter(label: "cablecar_trainer_promotions_total")
    private let duration = Timer(label: "cablecar_trainer_training_duration_seconds")

    /// - Parameter watch: the database, whose outage, once over, gives up a claim or a training
    ///   attempt still waiting on it (the request goes back to the queue); nil: nothing does.
    public init(
        queue: RequestQueue, job: TrainingJob, configuration: TrainerConfiguration, watch: OutageWatch?, logger: Logger,
        workerID: String =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))",
        startup: @escaping @Sendable () async -> Void = {}
    ) {
        self.queue = queue
        self.job = job
        self.configuration = configuration
        self.workerID = workerID
        self.watch = watch
        self.logger = logger
        self.startup = startup
    }

    public func run() async throws {
        await startup()
        logger.info("Training worker ready", metadata: ["worker": "\(workerID)"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if try await !self.runNext() {
                        try? await Task.sleep(for: .milliseconds(self.configuration.pollMillis))
                    }
                } catch is CancellationError {
                    break
                } catch {
                    self.logger.error("Training queue unavailable; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(2))
                }
            }
        }
    }

    /// Claims and runs one request; false when the queue was empty.
    @discardableResult
    public func runNext() async throws -> Bool {
        let (queue, workerID, configuration) = (self.queue, self.workerID, self.configuration)
        // A claim lost in a database outage is given up; if it did commit, its lease runs out
        // unrenewed and the request is claimed again.
        guard
            let claim = try await withTimeLimit(
                .seconds(60), "claiming a training request", watching: watch,
                {
                    try await queue.claim(
                        worker: workerID, leaseSeconds: configuration.leaseSeconds, maxAttempts: configuration.maxAttempts)
                })
        else { return false }
        let request = claim.request
        logger.info(
            "Training request claimed",
            metadata: ["request_id": "\(request.requestID)", "attempt": "\(claim.attempts)", "reason": "\(request.reason.rawValue)"])
        if let abandoned = claim.abandonedRunID {
            // The previous attempt's worker died mid-run: close its run so it does not stay RUNNING.
            do {
                try await job.registry.finishRun(
                    runID: abandoned,
                    failure: "abandoned: the worker stopped mid-run (attempt \(claim.attempts - 1)); retried as attempt \(claim.attempts)")
            } catch {
                logger.info("Abandoned run not closed", metadata: ["run_id": "\(abandoned)", "error": "\(error)"])
            }
        }
        let started = ContinuousClock.now
        let runID = RunIDBox()
        do {
            let outcome = try await whileHoldingLease(of: request.requestID) {
                try await withTimeLimit(.seconds(7 * 86_400), "training request \(request.requestID)", watching: self.watch) {
                    try await self.job.run(request, attempt: claim.attempts) { id in
                        runID.set(id)
                        try await self.queue.attach(runID: id, to: request.requestID)
                    }
                }
            }
            try await queue.complete(request.requestID, worker: workerID, outcome: outcome)
            succeeded.increment()
            if outcome.promoted { promoted.increment() }
        } catch let lost as AttemptOutlivedOutage {
            // Waiting on a call the outage lost: the request goes back to the queue and is
            // claimed again (its abandoned run closed as such).
            logger.warning("Training attempt given up; requeued", metadata: ["request_id": "\(request.requestID)", "reason": "\(lost)"])
            try await queue.release(request.requestID, worker: workerID)
        } catch let lost as LeaseLost {
            // Another worker holds the request now (this one was stalled past its lease): its
            // attempt counts, this one's is dropped unrecorded.
            logger.warning("Training abandoned", metadata: ["request_id": "\(request.requestID)", "reason": "\(lost)"])
        } catch is CancellationError {
            // Shutting down mid-run: hand the request back for the next worker (a query from the
            // cancelled task would be refused, and the request would wait out its lease).
            let (queue, workerID) = (self.queue, self.workerID)
            do {
                try await withoutCancellation(within: .seconds(10), "handing request \(request.requestID) back") {
                    try await queue.release(request.requestID, worker: workerID)
                }
            } catch {
                logger.warning(
                    "Training request not handed back; its lease runs out instead",
                    metadata: ["request_id": "\(request.requestID)", "error": "\(error)"])
            }
            throw CancellationError()
        } catch {
            let reason = (error as? TrainingFailure)?.description ?? "\(error)"
            logger.warning("Training request failed", metadata: ["request_id": "\(request.requestID)", "error": "\(reason)"])
            try await queue.fail(request.requestID, worker: workerID, runID: runID.value, error: reason)
            failed.increment()
        }
        duration.recordNanoseconds((ContinuousClock.now - started).inNanoseconds)
        return true
    }
}

extension TrainingWorker {
    /// Runs `body` while a heartbeat renews the request's lease every third of the lease, so a
    /// worker that is killed gives its request up one lease after its last renewal however long
    /// training takes. A renewal the database refuses (outage) is retried on the next beat; one
    /// that finds the request held by another worker ends `body` with `LeaseLost`.
    func whileHoldingLease<Outcome: Sendable>(
        of requestID: String, _ body: @escaping @Sendable () async throws -> Outcome
    ) async throws -> Outcome {
        let leaseSeconds = configuration.leaseSeconds
        let beat = Duration.milliseconds(max(1, leaseSeconds * 1000 / 3))
        return try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: beat)
                    do {
                        let (queue, workerID) = (self.queue, self.workerID)
                        let held = try await withTimeLimit(beat, "renewing the lease of \(requestID)") {
                            try await queue.renewLease(requestID, worker: workerID, leaseSeconds: leaseSeconds)
                        }
                        if !held {
                            throw LeaseLost(requestID: requestID, workerID: self.workerID)
                        }
                    } catch let error where !(error is LeaseLost) && !(error is CancellationError) {
                        self.logger.warning(
                            "Training lease not renewed; retrying", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
                    }
                }
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let outcome = finished { return outcome }
            }
            throw CancellationError()
        }
    }
}

/// The request's lease passed to another worker while this one trained.
struct LeaseLost: Error, CustomStringConvertible {
    var requestID: String
    var workerID: String
    var description: String {
        "worker \(workerID) no longer holds request \(requestID): its lease ran out and another worker claimed it"
    }
}

/// The run id, once the job opened it (set from the job's callback).
private final class RunIDBox: Sendable {
    private let stored = Mutex<String?>(nil)
    func set(_ value: String) { stored.withLock { $0 = value } }
    var value: String? { stored.withLock { $0 } }
}
