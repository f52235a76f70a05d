import CablecarDomain
import CablecarFeatures
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The feature store's part of the stream (the `StreamWorker` does the rest). Per batch, in one
/// transaction: the revisions (with their availability times), the labels, the availability
/// clock, and the rows of every step the clock completed; then `features.ready` for those steps.
///
/// Redelivery-safe, which is what lets the worker retry: stored revisions keep their first row,
/// steps already written are rewritten identically, and `recover` reloads the clock and history
/// from the database and re-sends unpublished steps, as a restart does.
final class FeatureStream: StreamHandler, Sendable {
    typealias Prepared = Void

    /// What a committed batch leaves for `publish`: the counts for metrics and progress.
    struct Output: Sendable {
        var batchSize = 0
        var traffic = 0
        var context = 0
        var steps = 0
        var rows = 0
        var clock: EpochMillis?
        var lastStep: EpochMillis?
        var quality: QualityTracker?
    }

    /// In-memory state of the stream, owned by the worker's loop alone.
    struct State {
        var clock: AvailabilityClock
        var history = ObservationHistory()
        var lastStep: EpochMillis?
        var firstInterval: EpochMillis?
        var quality = QualityTracker()
        var partitions: PartitionProgress
    }

    private let producer: KafkaProducer
    private let database: PostgresClient
    private let materializer: StepMaterializer
    private let configuration: FeatureStoreConfiguration
    private let partitionIdleAfter: Duration
    private let partitionEnds: (any PartitionEnds)?
    private let logger: Logger
    private let metrics = FeatureMetrics()
    let progress: PipelineProgress
    /// Taken out while a batch is handled (so the history is never copied), put back on success;
    /// nil after a failure until `recover` loads it again.
    private let state = Mutex<State?>(nil)

    init(
        producer: KafkaProducer, database: PostgresClient, materializer: StepMaterializer, configuration: FeatureStoreConfiguration,
        partitionIdleAfter: Duration, partitionEnds: (any PartitionEnds)?, logger: Logger, progress: PipelineProgress
    ) {
        self.producer = producer
        self.database = database
        self.materializer = materializer
        self.configuration = configuration
        self.partitionIdleAfter = partitionIdleAfter
        self.partitionEnds = partitionEnds
        self.logger = logger
        self.progress = progress
    }

    var publishesBesideNextBatch: Bool { false }

    func prepare(_ batch: [KafkaMessage]) {}

    func recover() async throws {
        try await DefinitionRegistry.register(materializer.computer.definitions, on: database, logger: logger)
        let clock = try await StreamStateStore.loadClock(policy: configuration.availability, on: database, logger: logger)
        var state = State(clock: clock, partitions: PartitionProgress(idleAfter: partitionIdleAfter))
        state.lastStep = try await StreamStateStore.lastStep(on: database, logger: logger)
        state.firstInterval = try await HistoryStore.trafficRange(on: database, logger: logger)?.first
        if let now = clock.now {
            try await HistoryStore.load(into: &state.history, from: now - Backfill.lookbackMillis, to: .max, on: database, logger: logger)
        }
        progress.update(clock: clock.now, lastStep: state.lastStep, observations: 0, rows: 0)
        let lastStep = state.lastStep
        self.state.withLock { [state] in $0 = state }
        try await publishPending()
        logger.info("Feature stream state loaded", metadata: ["last_step": "\(lastStep.map(String.init) ?? "none")"])
    }

    func handle(_ batch: [KafkaMessage], prepared: Void, context: BatchContext) async throws -> Output {
        guard
            var state = self.state.withLock({ $0.take() })
        else {
            throw FeatureStreamError("the feature stream handled a batch before its state was loaded")
        }
        let output = try await handle(batch, context: context, state: &state)
        self.state.withLock { [state] in $0 = state }
        return output
    }

    func publish(_ output: Output) async throws {
        // An idle tick that completed no step wrote nothing.
        guard output.batchSize > 0 || output.steps > 0 else { return }
        try await publishPending()
        metrics.consumed(topic: configuration.name(of: .observedTraffic), count: output.traffic)
        metrics.consumed(topic: configuration.name(of: .observedContext), count: output.context)
        metrics.stepsCompleted(output.steps, rows: output.rows)
        if let quality = output.quality { metrics.quality(quality) }
        metrics.clock(output.clock, lastStep: output.lastStep)
        progress.update(clock: output.clock, lastStep: output.lastStep, observations: output.batchSize, rows: output.rows)
    }

    func close() async {
        await producer.close()
    }

    private func handle(_ batch: [KafkaMessage], context batchContext: BatchContext, state: inout State) async throws -> Output {
        let trafficTopic = configuration.name(of: .observedTraffic)
        let contextTopic = configuration.name(of: .observedContext)
        state.partitions.refresh(assignment: batchContext.assignment)
        // Every partition in the batch delivers, undecodable messages included, from the batch's
        // start: one whose messages come after another partition's in the batch must hold the
        // clock until they are stamped, not be passed over as idle by the messages before them.
        for message in batch where message.topic == trafficTopic || message.topic == contextTopic {
            state.partitions.delivered(PartitionProgress.key(message.topic, message.partition), offset: message.offset)
        }
        let unknown = await learnPositions(&state, committedOffsets: batchContext.committedOffsets)
        state.partitions.holding = await backlogged(state.partitions.silentWithKnownPosition(), handled: state.partitions.handled)
            .union(unknown)
        advanceClock(&state)
        var traffic: [AvailableTraffic] = []
        var context: [AvailableContext] = []
        for message in batch {
            let source = PartitionProgress.key(message.topic, message.partition)
            if message.topic != trafficTopic && message.topic != contextTopic { continue }
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
                let at = arrive(&state, eventTime: o.eventTime, ingestTime: o.ingestTime, knownAt: o.knownAt, source: source)
                traffic.append(AvailableTraffic(o, availableAt: at))
            } else {
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
                let at = arrive(&state, eventTime: o.eventTime, ingestTime: o.ingestTime, knownAt: o.knownAt, source: source)
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
        if batch.isEmpty && steps.isEmpty { return Output(clock: state.clock.now, lastStep: state.lastStep) }
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
        var output = Output(
            batchSize: batch.count, traffic: traffic.count, context: context.count, steps: steps.count, rows: rows.count,
            clock: state.clock.now, lastStep: state.lastStep)
        if let last = steps.last {
            state.quality.record(step: last, rows: rows, featureNames: materializer.computer.featureNames, clock: state.clock.now)
            output.quality = state.quality
        }
        if let now = state.clock.now, steps.count > 0 { state.history.trim(before: now - Backfill.lookbackMillis) }
        return output
    }

    /// Stamps an arrival: the partition's mark moves, the clock moves as far as every partition
    /// with unread data allows, and the revision is available from the clock on.
    private func arrive(
        _ state: inout State, eventTime: EpochMillis, ingestTime: EpochMillis, knownAt: EpochMillis?, source: String
    ) -> EpochMillis {
        state.clock.observe(eventTime: eventTime, partition: source)
        if let candidate = state.partitions.clockCandidate(state.clock) { state.clock.advance(to: candidate) }
        return state.clock.availability(eventTime: eventTime, ingestTime: ingestTime, partition: source, knownAt: knownAt)
    }

    /// Moves the clock as far as the partitions allow (before a batch: partitions that went idle
    /// while waiting for it).
    private func advanceClock(_ state: inout State) {
        if let candidate = state.partitions.clockCandidate(state.clock) { state.clock.advance(to: candidate) }
    }

    /// Learns where the silent partitions that have delivered nothing since the start are read
    /// from, so the broker can be asked whether messages wait in them. Without an answer they
    /// stay unknown and are asked about again with the next batch; meanwhile they hold the clock
    /// (returned, for `holding`), which waits rather than stamp their messages late.
    private func learnPositions(
        _ state: inout State, committedOffsets: @Sendable ([TopicPartition]) async throws -> [TopicPartition: Int64]
    ) async -> Set<String> {
        let unknown = state.partitions.silentWithUnknownPosition()
        guard !unknown.isEmpty, partitionEnds != nil else { return [] }
        do {
            let offsets = try await committedOffsets(unknown.compactMap(PartitionBacklog.topicPartition))
            state.partitions.positionsKnown(
                Dictionary(offsets.map { (PartitionProgress.key($0.key.topic, $0.key.partition), $0.value) }) { first, _ in first })
            return []
        } catch {
            logger.warning(
                "Could not read the group's committed offsets: silent partitions hold the availability clock until it answers",
                metadata: ["partitions": "\(unknown.sorted())", "error": "\(error)"])
            return unknown
        }
    }

    /// The silent partitions with messages still waiting on the broker (all of them while the
    /// broker does not answer: the clock waits rather than stamp their observations late).
    private func backlogged(_ candidates: Set<String>, handled: [String: Int64]) async -> Set<String> {
        guard let partitionEnds else { return [] }
        return await PartitionBacklog.backloggedOrAll(
            candidates, handled: handled, ends: partitionEnds, holding: "the availability clock", logger: logger)
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

struct FeatureStreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A definition changed without a new version: the code must change, a retry cannot help.
extension DefinitionRegistryError: UnrecoverableError {}
