import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The streaming half of the feature store: `obs.traffic` and `obs.context` in; history,
/// offline rows, online vectors and `features.ready` out.
///
/// Per batch, in one transaction: the revisions (with their availability times), the labels,
/// the availability clock, and the rows of every step the clock completed. After the commit:
/// `features.ready` for those steps (flushed), then the batch is marked processed. A crash
/// anywhere redelivers the batch; stored revisions keep their first row, steps already written
/// are rewritten identically, and unpublished steps are re-sent at start-up.
public final class FeaturePipeline: Service, Sendable {
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let partitionIdleAfter: Duration
    private let database: PostgresClient
    private let materializer: StepMaterializer
    private let configuration: FeatureStoreConfiguration
    private let logger: Logger
    private let startup: @Sendable () async -> Void
    private let metrics = FeatureMetrics()
    private let stopFlag = BatchLifecycle()
    /// What the pipeline has done, for the catalog and for callers waiting for it to catch up.
    public let progress = PipelineProgress()

    public init(
        brokers: String, database: PostgresClient, computer: FeatureComputer, configuration: FeatureStoreConfiguration,
        logger: Logger, clientID: String = "cablecar-features", partitionIdleAfter: Duration = .seconds(10),
        startup: @escaping @Sendable () async -> Void = {}
    ) throws {
        let client = KafkaClientConfiguration(brokers: brokers, clientID: clientID)
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                client: client, groupID: configuration.consumerGroup, bufferCapacity: configuration.batchSize),
            logger: logger)
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client, lingerMilliseconds: 5), logger: logger)
        self.partitionIdleAfter = partitionIdleAfter
        self.database = database
        self.materializer = StepMaterializer(computer: computer)
        self.configuration = configuration
        self.logger = logger
        self.startup = startup
    }

    /// In-memory state of the consume loop (owned by it alone).
    struct State {
        var clock: AvailabilityClock
        var history = ObservationHistory()
        var lastStep: EpochMillis?
        var firstInterval: EpochMillis?
        var quality = QualityTracker()
        var partitions: PartitionProgress
    }

    public func run() async throws {
        await startup()
        try await DefinitionRegistry.register(materializer.computer.definitions, on: database, logger: logger)
        var state = try await restore()
        try await publishPending()
        try consumer.subscribe(to: [configuration.name(of: .observedTraffic), configuration.name(of: .observedContext)])
        logger.info(
            "Feature pipeline consuming",
            metadata: ["group": "\(configuration.consumerGroup)", "last_step": "\(state.lastStep.map(String.init) ?? "none")"])
        let mailbox = BatchMailbox()
        let consumer = self.consumer
        let fetcher = Task {
            while let batch = try? await consumer.nextBatch() { await mailbox.put(batch) }
            await mailbox.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await mailbox.tick()
            }
        }
        defer {
            ticker.cancel()
            fetcher.cancel()
        }
        try await withGracefulShutdownHandler {
            loop: while true {
                let event = await mailbox.next()
                let batch: [KafkaMessage]
                switch event {
                case .end: break loop
                case .tick: batch = []
                case .batch(let messages): batch = messages
                }
                // Stopping: leave the fetched batch unprocessed, the next instance gets it.
                guard self.stopFlag.begin() else { break }
                do {
                    try await self.handle(batch, state: &state)
                } catch {
                    self.stopFlag.end()
                    self.logger.error("Feature batch failed; stopping so that a restart redelivers it", metadata: ["error": "\(error)"])
                    self.consumer.abandon()
                    await mailbox.finish()
                    await self.producer.close()
                    throw error
                }
                if self.stopFlag.end() { break }
            }
            await self.consumer.close()
            await mailbox.finish()
            await self.producer.close()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Stops after the batch in flight; the consumer then commits what was processed.
    public func stop() {
        if stopFlag.requestStop() {
            // Idle: nothing in flight, so close now to end the wait for the next batch.
            Task { await self.consumer.close() }
        }
    }

    /// Stops as a crash would: nothing more is committed. For recovery tests.
    public func crash() {
        _ = stopFlag.requestStop()
        consumer.abandon()
    }

    private func restore() async throws -> State {
        let clock = try await StreamStateStore.loadClock(policy: configuration.availability, on: database, logger: logger)
        var state = State(clock: clock, partitions: PartitionProgress(idleAfter: partitionIdleAfter))
        state.lastStep = try await StreamStateStore.lastStep(on: database, logger: logger)
        state.firstInterval = try await HistoryStore.trafficRange(on: database, logger: logger)?.first
        if let now = clock.now {
            try await HistoryStore.load(into: &state.history, from: now - Backfill.lookbackMillis, to: .max, on: database, logger: logger)
        }
        progress.update(clock: clock.now, lastStep: state.lastStep, observations: 0, rows: 0)
        return state
    }

    private func handle(_ batch: [KafkaMessage], state: inout State) async throws {
        let trafficTopic = configuration.name(of: .observedTraffic)
        let contextTopic = configuration.name(of: .observedContext)
        refreshPartitions(&state)
        var traffic: [AvailableTraffic] = []
        var context: [AvailableContext] = []
        for message in batch {
            let source = PartitionProgress.key(message.topic, message.partition)
            if message.topic != trafficTopic && message.topic != contextTopic { continue }
            // Delivered even if undecodable: the partition is active.
            state.partitions.delivered(source)
            if message.topic == trafficTopic {
                guard let o = try? WireCodec.decode(TrafficObservation.self, from: message.value),
                    o.version == TrafficObservation.currentVersion,
                    ObservationAdmission.problem(o) == nil
                else {
                    metrics.invalid(topic: message.topic)
                    logger.warning(
                        "Skipping undecodable obs.traffic message (unreadable, unknown version or out-of-range fields)",
                        metadata: ["source": "\(source)", "offset": "\(message.offset)"])
                    continue
                }
                let at = arrive(&state, eventTime: o.eventTime, ingestTime: o.ingestTime, source: source)
                traffic.append(AvailableTraffic(o, availableAt: at))
            } else if message.topic == contextTopic {
                guard let o = try? WireCodec.decode(ContextObservation.self, from: message.value),
                    o.version == ContextObservation.currentVersion,
                    ObservationAdmission.problem(o) == nil
                else {
                    metrics.invalid(topic: message.topic)
                    logger.warning(
                        "Skipping undecodable obs.context message (unreadable, unknown version or out-of-range fields)",
                        metadata: ["source": "\(source)", "offset": "\(message.offset)"])
                    continue
                }
                let at = arrive(&state, eventTime: o.eventTime, ingestTime: o.ingestTime, source: source)
                context.append(AvailableContext(o, availableAt: at))
            }
        }
        for item in traffic { state.history.insert(item) }
        for item in context { state.history.insert(item) }
        if let first = traffic.map({ Interval.start(containing: $0.observation.eventTime) }).min() {
            state.firstInterval = min(state.firstInterval ?? first, first)
        }
        let steps = completedSteps(state)
        // A tick that moved nothing forward has nothing to write.
        if batch.isEmpty && steps.isEmpty { return }
        let rows = materializer.rows(for: steps, history: state.history)
        let counts = steps.map { step in (ts: step, rows: rows.lazy.filter { $0.timestamp == step }.count) }
        let clock = state.clock
        try await database.withTransaction(logger: logger) { connection in
            try await HistoryStore.insertTraffic(traffic, on: connection, logger: self.logger)
            try await HistoryStore.insertContext(context, on: connection, logger: self.logger)
            try await StreamStateStore.saveClock(clock, on: connection, logger: self.logger)
            try await self.materializer.write(rows, online: true, on: connection, logger: self.logger)
            try await StreamStateStore.recordSteps(counts, on: connection, logger: self.logger)
        }
        if let last = steps.last { state.lastStep = last }
        try await publishPending()
        for message in batch { consumer.markProcessed(message) }

        metrics.consumed(topic: trafficTopic, count: traffic.count)
        metrics.consumed(topic: contextTopic, count: context.count)
        metrics.stepsCompleted(steps.count, rows: rows.count)
        if let last = steps.last {
            state.quality.record(step: last, rows: rows, featureNames: materializer.computer.featureNames, clock: state.clock.now)
            metrics.quality(state.quality)
        }
        metrics.clock(state.clock.now, lastStep: state.lastStep)
        progress.update(clock: state.clock.now, lastStep: state.lastStep, observations: batch.count, rows: rows.count)
        if let now = state.clock.now, steps.count > 0 { state.history.trim(before: now - Backfill.lookbackMillis) }
    }

    /// Stamps an arrival: the partition's mark moves, the clock moves as far as every partition
    /// with unread data allows, and the revision is available from the clock on.
    private func arrive(_ state: inout State, eventTime: EpochMillis, ingestTime: EpochMillis, source: String) -> EpochMillis {
        state.clock.observe(eventTime: eventTime, partition: source)
        if let candidate = state.partitions.clockCandidate(state.clock) { state.clock.advance(to: candidate) }
        return state.clock.availability(eventTime: eventTime, ingestTime: ingestTime, partition: source)
    }

    /// The assignment, before each batch; then, after the batch's arrivals, a last chance for the
    /// clock to move (partitions that went idle while waiting for this batch).
    private func refreshPartitions(_ state: inout State) {
        state.partitions.refresh(assignment: consumer.assignment)
        if let candidate = state.partitions.clockCandidate(state.clock) { state.clock.advance(to: candidate) }
    }

    static let maxStepsPerBatch: EpochMillis = 2016

    /// Steps the clock has passed (t + 5 min <= clock) and that are not written yet.
    private func completedSteps(_ state: State) -> [EpochMillis] {
        guard let now = state.clock.now else { return [] }
        let through = now - Interval.lengthMillis
        let from: EpochMillis
        if let last = state.lastStep {
            from = last + Interval.lengthMillis
        } else if let first = state.firstInterval {
            from = first + Interval.lengthMillis
        } else {
            return []
        }
        guard through >= from else { return [] }
        // At most a week of steps per batch (idle ticks continue), so a clock that jumps far
        // ahead never makes one batch allocate rows for years of steps.
        let last = min(through, from + (Self.maxStepsPerBatch - 1) * Interval.lengthMillis)
        return Array(stride(from: from, through: last, by: Int(Interval.lengthMillis)))
    }

    /// Sends `features.ready` for every step not yet acknowledged, then records them as sent.
    private func publishPending() async throws {
        let pending = try await StreamStateStore.unpublishedSteps(on: database, logger: logger)
        guard !pending.isEmpty else { return }
        let topic = configuration.name(of: .featuresReady)
        for step in pending {
            let message = FeaturesReady(timestamp: step.ts, rows: step.rows, featureSet: materializer.featureSet)
            try await producer.enqueue(topic: topic, key: Array("features".utf8), value: try WireCodec.encode(message))
        }
        try await producer.flush()
        try await StreamStateStore.markPublished(pending.map(\.ts), on: database, logger: logger)
    }
}

/// Thread-safe view of the pipeline's progress.
public final class PipelineProgress: @unchecked Sendable {
    public struct Snapshot: Sendable, Codable, Equatable {
        public var clock: EpochMillis?
        public var lastStep: EpochMillis?
        /// obs.* messages consumed by this process (redeliveries included).
        public var observations: Int
        /// Feature rows this process wrote.
        public var rows: Int

        enum CodingKeys: String, CodingKey {
            case clock = "stream_clock"
            case lastStep = "last_step"
            case observations = "consumed_messages"
            case rows
        }
    }

    private let lock = NSLock()
    private var state = Snapshot(clock: nil, lastStep: nil, observations: 0, rows: 0)

    public var value: Snapshot { lock.withLock { state } }

    func update(clock: EpochMillis?, lastStep: EpochMillis?, observations: Int, rows: Int) {
        lock.withLock {
            state.clock = clock
            state.lastStep = lastStep
            state.observations += observations
            state.rows += rows
        }
    }
}
