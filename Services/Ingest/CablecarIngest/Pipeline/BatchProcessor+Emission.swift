import CablecarDomain
import CablecarService
import Logging
import PostgresNIO

/// Emission: which intervals the group-wide watermark makes due, written to the outbox in the
/// transaction of the batch (or idle tick) that made them due.
extension BatchProcessor {
    /// Emits what is due by the group-wide watermark, in a transaction of its own: called while
    /// no batch arrives, since the last batches of several instances may commit together, each
    /// without seeing the other's progress, and leave intervals due that no batch will emit.
    func emitWhenIdle(database: PostgresClient, now: EpochMillis) async throws -> Result {
        try await database.withConnection { connection in
            try await connection.withTransaction(logger: self.logger) { transaction in
                try await self.emitWhenIdleLocked(now: now, connection: transaction)
            }
        }
    }

    private func emitWhenIdleLocked(now: EpochMillis, connection: PostgresConnection) async throws -> Result {
        var watermarks = self.watermarks
        for stream in Array(watermarks.keys) { watermarks[stream]?.tick(now: now) }
        let emission = try await emitDue(now: now, watermarks: &watermarks, connection: connection)
        self.watermarks = watermarks
        var result = Result()
        result.outcome.trafficEmitted = emission.traffic
        result.outcome.contextEmitted = emission.context
        result.emitted = emission.messages
        return result
    }

    /// Emits the intervals due by the group-wide watermark: the slowest active partition over
    /// every instance's rows in `ingest_watermarks` (this transaction's own writes included),
    /// minus the allowed lateness. An instance's own partitions alone would let it emit an
    /// interval whose readings another instance has not reached yet. Newer progress found there
    /// is folded into `watermarks`, so partitions taken over in a rebalance judge lateness from
    /// where their previous owner left them. A partition silent for the idle period, or left
    /// behind by its stream and quiet since (`SparsePartitions`), stops holding emission back only
    /// once the broker shows nothing of it is left unhandled (see `PartitionEnds`).
    ///
    /// `recording` is this batch's progress per stream and partition, written first.
    func emitDue(
        now: EpochMillis, watermarks: inout [Feed.Stream: Watermark], recording advanced: [String: [String: EpochMillis]] = [:],
        connection: PostgresConnection
    ) async throws -> (messages: [OutboxMessage], traffic: Int, context: Int) {
        let emitStart = ContinuousClock.now
        defer { timings.add("db: emit", ContinuousClock.now - emitStart) }
        let progress = try await timings.measure("db: emit: group watermark") {
            try await AggregateStore.recordProgress(advanced, activeAt: now, on: connection, logger: logger)
        }
        let silent = PartitionBacklog.idleCandidates(
            progress, expected: expectedPartitions, idleAfterMillis: configuration.idlePartitionMillis, startedAt: startedAt, now: now)
        let leftBehind =
            configuration.idlePartitionMillis == nil
            ? [] : sparse.candidates(progress, expected: expectedPartitions, startedAt: startedAt, now: now)
        let backlogged = try await backlogged(silent.union(leftBehind), connection: connection)
        let sparseIdle = leftBehind.subtracting(backlogged)
        var groupWatermark: [Feed.Stream: EpochMillis] = [:]
        for stream in Feed.Stream.allCases {
            let partitions = progress[stream.rawValue] ?? [:]
            watermarks[stream]?.absorb(partitions.mapValues(\.newestEventTime))
            var lastActive = partitions.mapValues { max($0.activeAt, startedAt) }
            for name in backlogged where lastActive[name] != nil { lastActive[name] = now }
            if let idle = configuration.idlePartitionMillis {
                for name in sparseIdle where lastActive[name] != nil { lastActive[name] = now - idle - 1 }
            }
            let group = Watermark(
                partitions: partitions.mapValues(\.newestEventTime), allowedLatenessMillis: configuration.allowedLatenessMillis,
                tooLateMillis: configuration.tooLateMillis, idleAfterMillis: configuration.idlePartitionMillis, now: now,
                lastActive: lastActive)
            // A partition nobody has written progress for holds everything back, like an active
            // partition at its very beginning, until it is a candidate (left behind and quiet for
            // the spell, or silent for the idle period) with nothing waiting in it.
            let neverSeen = (expectedPartitions[stream] ?? []).subtracting(partitions.keys)
            let passedOver = silent.union(leftBehind).subtracting(backlogged)
            groupWatermark[stream] = neverSeen.isSubset(of: passedOver) ? group.watermark : nil
        }
        var traffic: [EmissionStore.Encoded] = []
        var context: [EmissionStore.Encoded] = []
        // On-time revisions before final ones: when both fall due in one batch (the watermark
        // jumped, as at start-up), the interval still gets its on-time revision first.
        let rule = configuration.knowledge
        if let watermark = groupWatermark[.traffic] {
            let due = try await EmissionStore.dueTraffic(
                watermark: watermark, now: now, rule: rule, on: connection, logger: logger, timings: timings)
            let final = try await EmissionStore.finalTraffic(watermark: watermark, now: now, rule: rule, on: connection, logger: logger)
            traffic = EmissionStore.inEventTimeOrder(due + final)
        }
        if let watermark = groupWatermark[.context] {
            let due = try await EmissionStore.dueContext(watermark: watermark, now: now, rule: rule, on: connection, logger: logger)
            let final = try await EmissionStore.finalContext(watermark: watermark, now: now, rule: rule, on: connection, logger: logger)
            context = EmissionStore.inEventTimeOrder(due + final)
        }
        let messages = try await timings.measure("db: emit: outbox") {
            try await EmissionStore.writeOutbox(
                [
                    (configuration.name(of: .observedTraffic), EmissionStore.entries(traffic)),
                    (configuration.name(of: .observedContext), EmissionStore.entries(context)),
                ],
                on: connection, logger: logger)
        }
        return (messages, traffic.count, context.count)
    }

    /// The candidates with readings still waiting on the broker. Without an answer from the
    /// broker, every candidate is taken to have some: emission waits rather than risk being early.
    private func backlogged(_ candidates: Set<String>, connection: PostgresConnection) async throws -> Set<String> {
        guard !candidates.isEmpty, let partitionEnds else { return [] }
        let partitions = candidates.compactMap(PartitionBacklog.topicPartition)
        let handled = try await LedgerStore.highestHandled(
            partitions.map { ($0.topic, $0.partition) }, on: connection, logger: logger)
        return await PartitionBacklog.backloggedOrAll(
            candidates, handled: handled, ends: partitionEnds, holding: "emission", logger: logger)
    }
}
