import CablecarDomain
import CablecarFeatures
import Logging
import PostgresNIO

/// Recomputes the offline rows of a time range from the observation history in Postgres.
/// Idempotent: the history is append-only and availability-stamped, so a second run writes
/// identical rows (and changes nothing).
public struct BackfillResult: Codable, Sendable, Equatable {
    public var start: EpochMillis
    public var end: EpochMillis
    public var steps: Int
    public var rows: Int

    public init(start: EpochMillis, end: EpochMillis, steps: Int, rows: Int) {
        self.start = start
        self.end = end
        self.steps = steps
        self.rows = rows
    }
}

package enum Backfill {
    /// How far back features look (last week + the longest TTL scan), rounded up to a day.
    static let lookbackMillis: EpochMillis = 8 * 86_400_000

    /// Steps in `[start, end)`, capped at `completedThrough` (later steps belong to the stream).
    package static func run(
        start: EpochMillis, end: EpochMillis, completedThrough: EpochMillis?, materializer: StepMaterializer,
        database: PostgresClient, logger: Logger, chunkMillis: EpochMillis = 86_400_000
    ) async throws -> BackfillResult {
        let first = Interval.start(containing: start) + (Interval.start(containing: start) == start ? 0 : Interval.lengthMillis)
        let last = min(end, (completedThrough ?? .min) + Interval.lengthMillis)
        var result = BackfillResult(start: first, end: max(first, last), steps: 0, rows: 0)
        guard last > first else { return result }
        var history = ObservationHistory()
        try await HistoryStore.load(into: &history, from: first - lookbackMillis, to: first, on: database, logger: logger)
        var chunkStart = first
        while chunkStart < last {
            let chunkEnd = min(last, chunkStart + chunkMillis)
            try await HistoryStore.load(into: &history, from: chunkStart, to: chunkEnd, on: database, logger: logger)
            let steps = Array(stride(from: chunkStart, to: chunkEnd, by: Int(Interval.lengthMillis)))
            let rows = materializer.rows(for: steps, history: history)
            try await database.withTransaction(logger: logger) { connection in
                try await materializer.write(rows, online: false, on: connection, logger: logger)
            }
            result.steps += steps.count
            result.rows += rows.count
            history.trim(before: chunkEnd - lookbackMillis)
            chunkStart = chunkEnd
        }
        logger.info("Backfill done", metadata: ["steps": "\(result.steps)", "rows": "\(result.rows)"])
        return result
    }
}
