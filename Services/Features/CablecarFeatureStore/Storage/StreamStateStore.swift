import CablecarDomain
import CablecarFeatures
import Logging
import PostgresNIO

/// Stream progress in Postgres: the availability clock's partition high-water marks and the
/// completed steps (with whether `features.ready` went out).
enum StreamStateStore {
    static func loadClock(policy: AvailabilityClock.Policy, on client: PostgresClient, logger: Logger) async throws -> AvailabilityClock {
        var highWater: [String: EpochMillis] = [:]
        var now: EpochMillis?
        let rows = try await client.query("SELECT source, high_water FROM feature_stream_clock", logger: logger)
        for try await (source, mark) in rows.decode((String, Int64).self) {
            if source == clockSource { now = mark } else { highWater[source] = mark }
        }
        return AvailabilityClock(policy: policy, highWater: highWater, now: now)
    }

    /// The row holding the clock itself (it never moves back, unlike the slowest partition's mark).
    static let clockSource = "*clock"

    static func saveClock(_ clock: AvailabilityClock, on connection: PostgresConnection, logger: Logger) async throws {
        var sources = clock.highWater.keys.sorted()
        var marks = sources.map { clock.highWater[$0] ?? 0 }
        if let now = clock.now {
            sources.append(clockSource)
            marks.append(now)
        }
        guard !sources.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO feature_stream_clock (source, high_water)
            SELECT s, m FROM UNNEST(\(sources)::text[], \(marks)::int8[]) AS u(s, m)
            ON CONFLICT (source) DO UPDATE SET high_water = GREATEST(feature_stream_clock.high_water, excluded.high_water)
            """, logger: logger)
    }

    /// The clock as stored (the "*clock" row).
    static func storedClock(on client: PostgresClient, logger: Logger) async throws -> EpochMillis? {
        let rows = try await client.query("SELECT high_water FROM feature_stream_clock WHERE source = \(clockSource)", logger: logger)
        for try await (mark) in rows.decode(Int64.self) { return mark }
        return nil
    }

    static func lastStep(on client: PostgresClient, logger: Logger) async throws -> EpochMillis? {
        let rows = try await client.query("SELECT max(ts) FROM feature_steps", logger: logger)
        for try await (ts) in rows.decode(Int64?.self) { return ts }
        return nil
    }

    static func recordSteps(_ steps: [(ts: EpochMillis, rows: Int)], on connection: PostgresConnection, logger: Logger) async throws {
        guard !steps.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO feature_steps (ts, row_count)
            SELECT t, c FROM UNNEST(\(steps.map(\.ts))::int8[], \(steps.map { Int32($0.rows) })::int4[]) AS u(t, c)
            ON CONFLICT (ts) DO NOTHING
            """, logger: logger)
    }

    static func unpublishedSteps(on client: PostgresClient, logger: Logger) async throws -> [(ts: EpochMillis, rows: Int)] {
        var steps: [(EpochMillis, Int)] = []
        let rows = try await client.query("SELECT ts, row_count FROM feature_steps WHERE NOT published ORDER BY ts", logger: logger)
        for try await (ts, count) in rows.decode((Int64, Int32).self) { steps.append((ts, Int(count))) }
        return steps
    }

    static func markPublished(_ steps: [EpochMillis], on client: PostgresClient, logger: Logger) async throws {
        guard !steps.isEmpty else { return }
        try await client.query("UPDATE feature_steps SET published = true WHERE ts = ANY(\(steps)::int8[])", logger: logger)
    }
}
