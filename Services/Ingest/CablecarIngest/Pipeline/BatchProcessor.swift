import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation
import Logging
import PostgresNIO

/// Handles one batch of raw messages: validation, lateness, duplicates, ledger, aggregation
/// state, dead letters and emission, all in one transaction; returns the outbox messages to send.
///
/// One pipeline task owns it, the way one consumer owns its partitions (an actor only to keep
/// the compiler's concurrency checks simple). Its in-memory watermarks and sensor states mirror
/// rows written in the same transaction; if a transaction fails, the stream's `recover`
/// replaces this processor with one restored from the database, as a restart would.
actor BatchProcessor {
    let validator: RecordValidator
    let configuration: IngestConfiguration
    let logger: Logger
    let timings: PhaseTimings
    // Not private: emission (BatchProcessor+Emission.swift) reads and replaces them too.
    var watermarks: [Feed.Stream: Watermark]
    private var sensors: [String: SensorQuality]
    private var dedup = DedupIndex()
    /// Which partitions a sparse feed has left behind (see `SparsePartitions`).
    var sparse: SparsePartitions
    private var rebalancesSeen = 0
    /// When this processor started (processing time): every partition gets a full idle period
    /// from here before it stops holding emission back, as it did before the restart.
    let startedAt: EpochMillis
    /// Every raw partition per stream (see `RawPartitions`); empty when unknown.
    let expectedPartitions: [Feed.Stream: Set<String>]
    /// Asked before a silent partition counts as idle; nil: silence alone makes it idle.
    let partitionEnds: PartitionEnds?

    static func restore(
        validator: RecordValidator, configuration: IngestConfiguration, database: PostgresClient, logger: Logger,
        timings: PhaseTimings = PhaseTimings(), expectedPartitions: [Feed.Stream: Set<String>] = [:],
        partitionEnds: PartitionEnds? = nil
    ) async throws -> BatchProcessor {
        let stored = try await AggregateStore.loadWatermarks(on: database, logger: logger)
        var watermarks: [Feed.Stream: Watermark] = [:]
        for stream in Feed.Stream.allCases {
            watermarks[stream] = Watermark(
                partitions: stored[stream.rawValue] ?? [:], allowedLatenessMillis: configuration.allowedLatenessMillis,
                tooLateMillis: configuration.tooLateMillis, idleAfterMillis: configuration.idlePartitionMillis,
                now: EpochMillis(Date().timeIntervalSince1970 * 1000))
        }
        let sensors = try await QualityStore.load(on: database, logger: logger)
        return BatchProcessor(
            validator: validator, configuration: configuration, logger: logger, timings: timings, watermarks: watermarks, sensors: sensors,
            expectedPartitions: expectedPartitions, partitionEnds: partitionEnds)
    }

    private init(
        validator: RecordValidator, configuration: IngestConfiguration, logger: Logger, timings: PhaseTimings,
        watermarks: [Feed.Stream: Watermark], sensors: [String: SensorQuality], expectedPartitions: [Feed.Stream: Set<String>],
        partitionEnds: PartitionEnds?
    ) {
        self.expectedPartitions = expectedPartitions
        self.partitionEnds = partitionEnds
        self.timings = timings
        self.validator = validator
        self.configuration = configuration
        self.logger = logger
        self.watermarks = watermarks
        self.sensors = sensors
        self.startedAt = EpochMillis(Date().timeIntervalSince1970 * 1000)
        self.sparse = SparsePartitions(
            behindMillis: configuration.allowedLatenessMillis,
            quietMillis: min(configuration.sparsePartitionMillis, configuration.idlePartitionMillis ?? 0))
    }

    struct Result: Sendable {
        var outcome = BatchOutcome()
        /// Dead letters and observations committed to the outbox by this batch, to send after the
        /// commit (dead letters first).
        var emitted: [OutboxMessage] = []
    }

    /// A message's validation, and for an accepted record its duplicate key: both pure and
    /// computed ahead, beside the previous batch's transaction.
    struct Verdict: Sendable {
        var result: Swift.Result<AcceptedRecord, Rejection>
        var dedupKey: DedupIndex.Key?
    }

    /// An accepted record not too late to count, before duplicate detection.
    private struct Candidate {
        var index: Int
        var record: AcceptedRecord
        var key: DedupIndex.Key
        /// The message's timestamp: which revision the record belongs to (`KnowledgeRule`).
        var publishTime: EpochMillis?
    }

    /// Validation is pure, so the pipeline runs it for the next batch while this one is in the
    /// database; `verdicts` line up with `messages` (see `validate`).
    ///
    /// `rebalances` is the consumer's rebalance count: when it changes, partitions may have been
    /// handled by another instance meanwhile, so cached duplicate keys are read again.
    func process(
        _ messages: [KafkaMessage], verdicts: [Verdict?], database: PostgresClient, now: EpochMillis,
        rebalances: Int = 0
    ) async throws -> Result {
        if rebalances != rebalancesSeen {
            rebalancesSeen = rebalances
            dedup.invalidate()
        }
        let positions = messages.map { MessagePosition(topic: $0.topic, partition: $0.partition, offset: $0.offset) }
        return try await timings.measure("transaction (all db steps + commit)") {
            try await database.withConnection { connection in
                try await connection.withTransaction(logger: self.logger) { transaction in
                    try await self.processLocked(messages, verdicts: verdicts, positions: positions, connection: transaction, now: now)
                }
            }
        }
    }

    /// One verdict per message (nil for a topic that is not a raw feed). The reference time for
    /// "future" is the message's timestamp (its publish time), else `now`.
    static func validate(
        _ messages: [KafkaMessage], validator: RecordValidator, configuration: IngestConfiguration, now: EpochMillis
    ) -> [Verdict?] {
        messages.map { message in
            configuration.feed(ofTopic: message.topic).map {
                let result = validator.validate(message.value, feed: $0, referenceTime: message.timestamp ?? now)
                return Verdict(result: result, dedupKey: (try? result.get()).map(DedupIndex.Key.init(of:)))
            }
        }
    }

    /// Each partition's lowest offset in the batch, with its message's timestamp (messages
    /// without one are left out: they cannot tell an incarnation from another).
    static func firstMessages(_ messages: [KafkaMessage]) -> [(topic: String, partition: Int32, offset: Int64, timestamp: Int64)] {
        var firsts: [TopicPartition: (offset: Int64, timestamp: Int64)] = [:]
        for message in messages {
            guard let timestamp = message.timestamp else { continue }
            let key = message.topicPartition
            if let known = firsts[key], known.offset <= message.offset { continue }
            firsts[key] = (message.offset, timestamp)
        }
        return firsts.map { ($0.key.topic, $0.key.partition, $0.value.offset, $0.value.timestamp) }
    }

    private func processLocked(
        _ messages: [KafkaMessage], verdicts: [Verdict?], positions: [MessagePosition],
        connection: PostgresConnection, now: EpochMillis
    ) async throws -> Result {
        var result = Result()
        let redelivered = try await timings.measure("db: redeliveries") {
            try await LedgerStore.lockPartitions(positions, on: connection, logger: logger)
            _ = try await LedgerStore.retireRecreatedPartitions(
                Self.firstMessages(messages), now: now, on: connection, logger: logger)
            return try await LedgerStore.redeliveredPositions(positions, on: connection, logger: logger)
        }
        var ledger: [LedgerEntry] = []
        var deadLetters: [OutboxPacking.Entry] = []
        var candidates: [Candidate] = []
        var watermarks = self.watermarks
        for stream in Array(watermarks.keys) { watermarks[stream]?.tick(now: now) }
        var advanced: [Feed.Stream: Set<String>] = [:]
        var namer = PartitionNamer()
        var lastAdvanced: [Feed.Stream: String] = [:]
        for (index, message) in messages.enumerated() {
            guard let feed = configuration.feed(ofTopic: message.topic), let verdict = verdicts[index]?.result else { continue }
            let position = positions[index]
            if !redelivered.isEmpty, redelivered.contains(position) {
                // Redelivered: counted already, and its dead letter (if it was rejected) went into
                // the outbox in the same transaction, which sends it once.
                result.outcome.redelivered += 1
                continue
            }
            var rejection: Rejection?
            switch verdict {
            case .failure(let failure):
                rejection = failure
            case .success(let record):
                let stream = feed.stream
                let partition = namer.name(topic: message.topic, partition: message.partition)
                if watermarks[stream]?.isTooLate(record.eventTime, partition: partition) == true {
                    rejection = Rejection(
                        .tooLate,
                        "event_time \(record.eventTime) is more than \(configuration.tooLateMillis / 1000) s behind the newest of its partition",
                        eventTime: record.eventTime, neighborhood: record.neighborhood)
                } else {
                    watermarks[stream]?.advance(to: record.eventTime, partition: partition)
                    if partition != lastAdvanced[stream] {
                        lastAdvanced[stream] = partition
                        advanced[stream, default: []].insert(partition)
                    }
                    candidates.append(
                        Candidate(
                            index: index, record: record, key: verdicts[index]?.dedupKey ?? DedupIndex.Key(of: record),
                            publishTime: message.timestamp))
                }
            }
            if let rejection {
                deadLetters.append((message.key.map { Array($0) }, rejectedRecord(message, rejection, now: now)))
                ledger.append(
                    LedgerEntry(
                        position: position, feed: feed, outcome: .rejected, reason: rejection.reason,
                        neighborhood: rejection.neighborhood, eventTime: rejection.eventTime, timestamp: message.timestamp))
                result.outcome.rejected[rejection.reason, default: 0] += 1
                result.outcome.byFeed[feed, default: (0, 0, 0)].rejected += 1
            }
            result.outcome.received += 1
        }
        let start = ContinuousClock.now
        let accepted = try await deduplicate(
            candidates, positions: positions, ledger: &ledger, outcome: &result.outcome, connection: connection)
        timings.add("db: duplicates", ContinuousClock.now - start)
        try await timings.measure("db: ledger") { try await LedgerStore.record(ledger, on: connection, logger: logger) }
        try await apply(accepted, connection: connection)
        var progress: [String: [String: EpochMillis]] = [:]
        for (stream, partitions) in advanced {
            guard let watermark = watermarks[stream] else { continue }
            progress[stream.rawValue] = partitions.reduce(into: [String: EpochMillis]()) { $0[$1] = watermark.partitions[$1] }
        }
        // Dead letters go through the outbox like observations: committed with the ledger that
        // counts them, sent after the commit, deleted once the broker has them. Re-sent from the
        // ledger on every redelivery instead, a probe that killed ingest twice found 11,372 of
        // 260,202 sent twice.
        let rejected = try await timings.measure("db: dead letters") {
            try await EmissionStore.writeOutbox([(configuration.name(of: .rejected), deadLetters)], on: connection, logger: logger)
        }
        let emission = try await emitDue(now: now, watermarks: &watermarks, recording: progress, connection: connection)
        result.outcome.trafficEmitted = emission.traffic
        result.outcome.contextEmitted = emission.context
        result.emitted = rejected + emission.messages
        self.watermarks = watermarks
        dedup.evict(retention: 2 * configuration.tooLateMillis)
        return result
    }

    /// Splits candidates into first sightings and duplicates: within the batch by key, then
    /// against every key accepted before (`DedupIndex`, kept in Postgres across restarts).
    private func deduplicate(
        _ candidates: [Candidate], positions: [MessagePosition], ledger: inout [LedgerEntry],
        outcome: inout BatchOutcome, connection: PostgresConnection
    ) async throws -> [(record: AcceptedRecord, publishTime: EpochMillis?)] {
        // Actor state cannot be mutated in place across a suspension: work on a copy.
        var index = dedup
        let firstSeen = try await index.admit(keys: candidates.map(\.key), on: connection, logger: logger)
        dedup = index
        var accepted: [(record: AcceptedRecord, publishTime: EpochMillis?)] = []
        for (slot, candidate) in candidates.enumerated() {
            let record = candidate.record
            let isFirst = firstSeen[slot]
            ledger.append(
                LedgerEntry(
                    position: positions[candidate.index], feed: record.feed, outcome: isFirst ? .accepted : .duplicate, reason: nil,
                    neighborhood: record.neighborhood, eventTime: record.eventTime, timestamp: candidate.publishTime))
            if isFirst {
                accepted.append((record, candidate.publishTime))
                outcome.accepted += 1
                outcome.byFeed[record.feed, default: (0, 0, 0)].accepted += 1
            } else {
                outcome.duplicates += 1
                outcome.byFeed[record.feed, default: (0, 0, 0)].duplicate += 1
            }
        }
        return accepted
    }

    /// Adds accepted records to the partial sums (on time or late, by `KnowledgeRule`), event
    /// lifecycles and sensor quality.
    private func apply(_ records: [(record: AcceptedRecord, publishTime: EpochMillis?)], connection: PostgresConnection) async throws {
        let rule = configuration.knowledge
        var traffic: [SensorIntervalKey: SensorPartial] = [:]
        var lateTraffic: [SensorIntervalKey: LatePartial<SensorPartial>] = [:]
        var context: [NeighborhoodIntervalKey: ContextPartial] = [:]
        var lateContext: [NeighborhoodIntervalKey: LatePartial<ContextPartial>] = [:]
        var events: [(event: CityEvent, publishTime: EpochMillis?)] = []
        var touchedSensors: Set<String> = []
        for (record, publishTime) in records {
            let interval = Interval.start(containing: record.eventTime)
            let latePublish = rule.isLate(eventTime: record.eventTime, publishTime: publishTime) ? publishTime : nil
            func addTraffic(_ partial: SensorPartial, segment: String, neighborhood: String, sensor: String) {
                let key = SensorIntervalKey(segmentID: segment, neighborhood: neighborhood, intervalStart: interval, sensorID: sensor)
                if let latePublish {
                    lateTraffic[key, default: LatePartial(sums: SensorPartial(), latestPublish: latePublish)].add(
                        partial, publishedAt: latePublish)
                } else {
                    traffic[key, default: SensorPartial()].add(partial)
                }
            }
            switch record {
            case .loop(let reading, let segment, let neighborhood):
                addTraffic(.loop(reading), segment: segment, neighborhood: neighborhood, sensor: reading.sensorID)
                observeQuality(record, sensorID: reading.sensorID, segment: segment, interval: reading.intervalSeconds)
                touchedSensors.insert(reading.sensorID)
            case .camera(let count, let segment, let neighborhood):
                addTraffic(.camera(count), segment: segment, neighborhood: neighborhood, sensor: count.sensorID)
                observeQuality(record, sensorID: count.sensorID, segment: segment, interval: count.intervalSeconds)
                touchedSensors.insert(count.sensorID)
            case .event, .gps, .weather:
                if case .event(let event) = record { events.append((event, publishTime)) }
                var partial = ContextPartial()
                partial.add(record)
                let key = NeighborhoodIntervalKey(neighborhood: record.neighborhood, intervalStart: interval)
                if let latePublish {
                    lateContext[key, default: LatePartial(sums: ContextPartial(), latestPublish: latePublish)].add(
                        partial, publishedAt: latePublish)
                } else {
                    context[key, default: ContextPartial()].add(partial)
                }
            }
        }
        try await timings.measure("db: partial sums") {
            try await AggregateStore.addTraffic(traffic, on: connection, logger: logger)
            try await AggregateStore.addLateTraffic(lateTraffic, on: connection, logger: logger)
            try await AggregateStore.addContext(context, on: connection, logger: logger)
            try await AggregateStore.addLateContext(lateContext, on: connection, logger: logger)
            try await AggregateStore.recordEvents(events, on: connection, logger: logger)
        }
        try await timings.measure("db: sensor quality") {
            try await QualityStore.save(touchedSensors.compactMap { sensors[$0] }, on: connection, logger: logger)
        }
    }

    private func observeQuality(_ record: AcceptedRecord, sensorID: String, segment: String, interval: Int) {
        guard let (values, zero) = SensorQuality.values(of: record) else { return }
        sensors[
            sensorID,
            default: SensorQuality(
                sensorID: sensorID, feed: record.feed, segmentID: segment, neighborhood: record.neighborhood, intervalSeconds: interval,
                firstEventTime: record.eventTime, lastEventTime: record.eventTime)
        ]
        .observe(eventTime: record.eventTime, intervalSeconds: interval, values: values, countsAreZero: zero)
    }

    /// The dead letter of `message`: its bytes whole, or the first `maximumRecordBytes` of an
    /// oversized one (the whole stays at its source position).
    private func rejectedRecord(_ message: KafkaMessage, _ rejection: Rejection, now: EpochMillis) -> [UInt8] {
        let kept = message.value.prefix(RecordValidator.maximumRecordBytes)
        let record = RejectedRecord(
            sourceTopic: message.topic, partition: message.partition, offset: message.offset, reason: rejection.reason,
            detail: rejection.detail, original: Data(kept).base64EncodedString(), eventTime: rejection.eventTime ?? now,
            rejectedAt: now)
        // Cannot fail: a rejected record carries no floating-point field.
        return (try? record.wireBytes()) ?? []
    }
}
