import CablecarKafka
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// The one consume loop of every streaming service: fetches batches (one prefetched, with an
/// idle tick while nothing arrives), hands them to the service's `StreamHandler`, publishes what
/// each produced and only then marks its messages processed. It owns stop (after the batch in
/// flight), crash (for recovery tests) and close, and rides out transient failures: the failed
/// batch and every later one not yet marked processed are handled again once `recover`
/// succeeded, with capped exponential back-off in between and readiness down meanwhile. Only
/// a failure no restart could fix ends it (see `FailureClassifier`).
public final class StreamWorker<Handler: StreamHandler>: Service, ReadinessCheck, StreamLagReporting, Sendable {
    public let name: String
    let source: any MessageSource
    let topics: [String]
    private let handler: Handler
    private let idleTick: Duration
    let logger: Logger
    private let status: WorkerStatus
    private let retries: Counter
    private let timeLimit: Duration
    private let watch: OutageWatch?
    let ends: (any TopicEnds)?
    let lagRefresh: Duration
    private let startup: @Sendable () async -> Void

    /// - Parameters:
    ///   - ends: where the worker's topics end on the broker, for `lag()`; nil: lag is not reported.
    ///   - lagRefresh: how often the `cablecar_stream_lag_messages` gauge is refreshed.
    ///   - startup: awaited before subscribing (the service's start-up gate: schema and topics).
    ///   - watch: the dependency (the database) whose outage, once over, gives up an attempt that
    ///     is still waiting (see `OutageWatch`); nil: only the time limit does.
    public init(
        name: String, source: any MessageSource, topics: [String], handler: Handler, retry: RetryPolicy = .standard,
        watch: OutageWatch?, idleTick: Duration = .seconds(1), ends: (any TopicEnds)? = nil, lagRefresh: Duration = .seconds(15),
        startup: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) {
        self.name = name
        self.source = source
        self.topics = topics
        self.handler = handler
        self.idleTick = idleTick
        self.timeLimit = retry.attemptTimeLimit
        self.watch = watch
        self.logger = logger
        self.status = WorkerStatus(StreamWorkerState(retry: retry))
        self.retries = Counter(label: "cablecar_stream_retries_total", dimensions: [("worker", name)])
        self.ends = ends
        self.lagRefresh = lagRefresh
        self.startup = startup
    }

    /// Waits for start-up, consumes until stopped, then closes the handler (also after a failure).
    public func run() async throws {
        await startup()
        do {
            try source.subscribe(to: topics)
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.consume() }
                    if self.ends != nil { group.addTask { await self.refreshLagGauges() } }
                    // The loop's end (or failure) ends the worker; the gauges' refresher goes with it.
                    try await group.next()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } catch {
            await handler.close()
            throw error
        }
        await handler.close()
    }

    /// Stops after the batch in flight (if any) is handled and published; idempotent.
    public func stop() {
        if status.update({ $0.requestStop() }) == .closeNow {
            Task { await self.source.close() }
        }
    }

    /// Stops as a crash would: nothing more is committed, so unmarked batches are redelivered
    /// to the next instance. For recovery tests.
    public func crash() {
        _ = status.update { $0.requestStop() }
        source.abandon()
    }

    public var state: StreamWorkerState { status.value }

    public func isReady() async -> Bool {
        status.value.isReady(hasSettledAssignment: source.hasSettledAssignment)
    }

    /// A fetched batch, with its prepared part; `sequence` orders batches for marking.
    private struct Fetched: Sendable {
        let sequence: Int
        let messages: [KafkaMessage]
        let prepared: Handler.Prepared
    }

    /// What the loop holds between batches.
    private struct Loop {
        /// Taken from the source and not yet marked processed, oldest first.
        var unmarked: [Fetched] = []
        /// To handle again after a recovery, before anything new.
        var retrying: [Fetched] = []
        var fetching: Task<Fetched?, any Error>?
        /// The previous batch's publish, beside this batch's handling (nil batch: an idle tick).
        var publishing: (batch: Fetched?, task: Task<Void, any Error>)?
        var sequence = 0
    }

    private enum Next {
        case batch(Fetched?)
        case published
        case end
    }

    private func consume() async throws {
        var loop = Loop()
        defer { status.update { $0.stopped() } }
        guard try await recover(after: .zero) else { return await finish(&loop) }
        logger.info("Consuming", metadata: ["worker": "\(name)", "topics": "\(topics.joined(separator: ","))"])
        consuming: while true {
            // Cancelled (a service group giving up on a graceful stop, a test dropping the task):
            // end as a stop does. Waits return at once once cancelled, so going on would spin.
            if Task.isCancelled { break consuming }
            let next: Next
            do {
                next = try await nextWork(&loop)
            } catch {
                guard try await failed(error, &loop) else { break consuming }
                continue consuming
            }
            let batch: Fetched?
            switch next {
            case .end:
                break consuming
            case .published:
                do {
                    try await finishPublishing(&loop)
                } catch {
                    guard try await failed(error, &loop) else { break consuming }
                    continue consuming
                }
                if status.update({ $0.publishFinished() }) { break consuming }
                continue consuming
            case .batch(let fetched):
                batch = fetched
            }
            guard status.update({ $0.beginBatch() }) else { break consuming }
            if loop.fetching == nil && loop.retrying.isEmpty { loop.fetching = startFetch(&loop) }
            do {
                let messages = batch?.messages ?? []
                let context = BatchContext(
                    assignment: source.assignment, rebalanceCount: source.rebalanceCount,
                    committedOffsets: { [source] in try await source.committedOffsets(of: $0) })
                let handler = self.handler
                let prepared = batch?.prepared ?? handler.prepare([])
                let output = try await withTimeLimit(timeLimit, "handling a batch of \(messages.count) messages", watching: watch) {
                    try await handler.handle(messages, prepared: prepared, context: context)
                }
                try await finishPublishing(&loop)
                let task = Task { [timeLimit, watch] in
                    try await withTimeLimit(timeLimit, "publishing a batch's output", watching: watch) {
                        try await handler.publish(output)
                    }
                }
                if handler.publishesBesideNextBatch {
                    loop.publishing = (batch, task)
                } else {
                    try await task.value
                    if let batch { markProcessed(batch, &loop) }
                }
                if status.update({ $0.batchHandled(publishing: loop.publishing != nil) }) { break consuming }
            } catch {
                guard try await failed(error, &loop) else { break consuming }
            }
        }
        await finish(&loop)
    }

    /// A batch to retry, else the prefetched one; while it does not come, the end of the
    /// previous publish or, after `idleTick`, an idle tick (nil batch).
    private func nextWork(_ loop: inout Loop) async throws -> Next {
        if !loop.retrying.isEmpty { return .batch(loop.retrying.removeFirst()) }
        let fetching: Task<Fetched?, any Error>
        if let started = loop.fetching {
            fetching = started
        } else {
            fetching = startFetch(&loop)
            loop.fetching = fetching
        }
        switch await wake(fetching: fetching, publishing: loop.publishing?.task) {
        case .published:
            return .published
        case .tick:
            return .batch(nil)
        case .fetched:
            loop.fetching = nil
            guard let fetched = try await fetching.value else { return .end }
            loop.unmarked.append(fetched)
            return .batch(fetched)
        }
    }

    private func startFetch(_ loop: inout Loop) -> Task<Fetched?, any Error> {
        loop.sequence += 1
        let sequence = loop.sequence
        let source = self.source
        let handler = self.handler
        return Task {
            guard let messages = try await source.nextBatch() else { return nil }
            return Fetched(sequence: sequence, messages: messages, prepared: handler.prepare(messages))
        }
    }

    private enum Wake: Sendable {
        case fetched, published, tick
    }

    /// The first of: the fetch ends, the publish ends, the idle tick. One watcher per task and
    /// one timer per wait (not a task per tick); cancelling a watcher never cancels what it
    /// watches, so the batch on its way is not lost.
    private func wake(fetching: Task<Fetched?, any Error>, publishing: Task<Void, any Error>?) async -> Wake {
        let (signals, continuation) = AsyncStream<Wake>.makeStream()
        var watchers = [
            Task {
                _ = try? await fetching.value
                continuation.yield(.fetched)
            },
            Task { [idleTick] in
                try? await Task.sleep(for: idleTick)
                if !Task.isCancelled { continuation.yield(.tick) }
            },
        ]
        if let publishing {
            watchers.append(
                Task {
                    _ = try? await publishing.value
                    continuation.yield(.published)
                })
        }
        defer {
            for watcher in watchers { watcher.cancel() }
            continuation.finish()
        }
        for await signal in signals { return signal }
        return .tick
    }

    /// Awaits the publish in flight (if any) and marks its batch processed; rethrows its failure.
    private func finishPublishing(_ loop: inout Loop) async throws {
        guard let (batch, task) = loop.publishing else { return }
        loop.publishing = nil
        try await task.value
        if let batch { markProcessed(batch, &loop) }
    }

    private func markProcessed(_ batch: Fetched, _ loop: inout Loop) {
        source.markProcessed(batch.messages)
        loop.unmarked.removeAll { $0.sequence == batch.sequence }
    }

    /// Decides what a failure means. Transient: waits, recovers and queues every unmarked batch
    /// again, returning true to go on (false when a stop came meanwhile). Permanent: abandons
    /// the source (nothing more is committed) and rethrows.
    private func failed(_ error: any Error, _ loop: inout Loop) async throws -> Bool {
        // A publish beside the failed batch may still have gone through: mark it if so.
        if let (batch, task) = loop.publishing {
            loop.publishing = nil
            if (try? await task.value) != nil, let batch { markProcessed(batch, &loop) }
        }
        let description = "\(error)"
        switch status.update({ $0.failed(FailureClassifier.classify(error), description: description) }) {
        case .stop:
            return false
        case .exit:
            logger.critical(
                "Stream failed with an error no retry can fix; stopping (unmarked batches are redelivered after the cause is fixed)",
                metadata: ["worker": "\(name)", "error": "\(description)"])
            source.abandon()
            throw error
        case .retry(let delay):
            retries.increment()
            logger.warning(
                "Stream batch failed; retrying it after reconnecting",
                metadata: [
                    "worker": "\(name)", "error": "\(description)", "retry_in": "\(delay)",
                    "failures": "\(status.value.consecutiveFailures)", "unmarked_batches": "\(loop.unmarked.count)",
                ])
            guard try await recover(after: delay) else { return false }
            loop.retrying = loop.unmarked
            return true
        }
    }

    /// Waits `delay`, then calls the handler's `recover` until it succeeds, backing off between
    /// attempts. Returns false when a stop came first.
    private func recover(after delay: Duration) async throws -> Bool {
        var delay = delay
        while true {
            guard await pause(delay) else { return false }
            do {
                let handler = self.handler
                try await withTimeLimit(timeLimit, "recovering", watching: watch) { try await handler.recover() }
                status.update { $0.recovered() }
                if delay > .zero { logger.info("Stream recovered; handling unmarked batches again", metadata: ["worker": "\(name)"]) }
                return true
            } catch {
                let description = "\(error)"
                switch status.update({ $0.failed(FailureClassifier.classify(error), description: description) }) {
                case .stop:
                    return false
                case .exit:
                    logger.critical("Stream cannot recover; stopping", metadata: ["worker": "\(name)", "error": "\(description)"])
                    source.abandon()
                    throw error
                case .retry(let next):
                    retries.increment()
                    logger.warning(
                        "Stream cannot recover yet; retrying",
                        metadata: ["worker": "\(name)", "error": "\(description)", "retry_in": "\(next)"])
                    delay = next
                }
            }
        }
    }

    /// Sleeps up to `delay`, in short steps so a stop ends it early; false when a stop came.
    private func pause(_ delay: Duration) async -> Bool {
        let deadline = ContinuousClock.now + delay
        while ContinuousClock.now < deadline {
            if status.value.stopRequested { return false }
            try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
        }
        return !status.value.stopRequested
    }

    /// Ends the loop: the last publish is awaited and its batch marked (when it went through),
    /// then the source commits what was marked and closes. Unmarked batches are redelivered.
    private func finish(_ loop: inout Loop) async {
        if let (batch, task) = loop.publishing {
            loop.publishing = nil
            do {
                try await task.value
                if let batch { markProcessed(batch, &loop) }
            } catch {
                logger.error("Publishing the last batch failed; it is redelivered", metadata: ["worker": "\(name)", "error": "\(error)"])
            }
        }
        await source.close()
        logger.info("Stream stopped", metadata: ["worker": "\(name)"])
    }
}
