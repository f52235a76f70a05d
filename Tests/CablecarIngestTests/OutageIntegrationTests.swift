import CablecarDomain
import CablecarService
import CablecarSimulation
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarIngest

/// Faults an operator meets: the database stopped mid-stream (real Postgres of the test's own,
/// stopped and started again), and replays whose ingest restarts at random points.
@Suite("Ingest under outages and restarts", .serialized)
struct OutageIntegrationTests {
    static let simulation = ComputedOnce {
        try SimulationReplay.collect(SimulationConfiguration(city: IngestHarness.city, days: 1, seed: 41, faults: .light))
    }

    /// About two simulated hours.
    static let recordCount = 24_000

    /// Fast retries, and a short limit on one attempt: a call that hangs after the database is
    /// back is cancelled and retried within the test's patience.
    static let outageRetry = RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), attemptTimeLimit: .seconds(20))

    @Test("Postgres stopped mid-stream: ingest keeps running, is not ready meanwhile, and afterwards has counted every record exactly once")
    func databaseOutage() async throws {
        let postgres = try await DedicatedPostgres.launch()
        let records = try await Array(Self.simulation.value.records.prefix(Self.recordCount))
        try await IngestHarness.with(databaseURL: postgres.url) { harness in
            let pipeline = try harness.pipeline(retry: Self.outageRetry)
            let run = Task { try await pipeline.run() }
            let half = records.count / 2
            try await harness.publish(records[..<half])
            try await eventually(timeout: .seconds(300), every: .milliseconds(50), "ingest did not count \(half / 4) records") {
                try await harness.scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts") >= half / 4
            }
            // Down while batches are in flight (the second half arrives during the outage).
            try await offThePool { try postgres.cluster.stop() }
            try await harness.publish(records[half...])
            // Down within the retry of a failed batch, or once a batch waiting for a connection
            // has been in flight for more than the stall limit (10 s).
            #expect(try await readinessWentDown { await pipeline.isReady() }, "readiness goes down while the database is away")
            #expect(pipeline.handled.received < records.count)
            try await offThePool { try postgres.cluster.start() }
            try await harness.waitUntilProcessed(records.count, timeout: .seconds(400))
            pipeline.stop()
            try await run.value  // a thrown error here would be the outage ending the pipeline
            try await checkExactlyOnce(harness, records: records)
        }
    }

    @Test(
        "a replay's tail is emitted for every topic, uninterrupted and with ingest restarting (crash) at random points",
        arguments: [0, 2])
    func tailIsEmitted(restarts: Int) async throws {
        let records = try await Array(Self.simulation.value.records.prefix(Self.recordCount))
        try await IngestHarness.with(idlePartitionMillis: 3_000) { harness in
            try await harness.publish(records[...])
            let points = (0..<restarts).map { _ in Int.random(in: 1..<records.count) }.sorted()
            for point in points {
                let pipeline = try harness.pipeline()
                let run = Task { try await pipeline.run() }
                try await eventually(timeout: .seconds(300), every: .milliseconds(20), "ingest did not count \(point) records") {
                    try await harness.scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts") >= point
                }
                pipeline.crash()
                try await run.value
            }
            let last = try harness.pipeline()
            let run = Task { try await last.run() }
            try await harness.waitUntilProcessed(records.count, timeout: .seconds(400))
            let due = try await waitUntilNothingDue(harness)
            last.stop()
            try await run.value
            #expect(due.traffic == 0 && due.context == 0, "every interval the stream's end made due was emitted (left: \(due))")

            // What the topics carry covers every interval a complete run emits: each interval
            // with on-time data that ends at or before the stream's newest event time minus the
            // lateness (one with only late readings waits for its final revision, two hours on).
            let lateness = harness.configuration.allowedLatenessMillis
            let contextEnd = try await harness.scalar("SELECT max(max_event_time) FROM ingest_watermarks WHERE stream LIKE 'context|%'")
            let trafficEnd = try await harness.scalar("SELECT max(max_event_time) FROM ingest_watermarks WHERE stream LIKE 'traffic|%'")
            let expectedContext = try await keys(
                harness,
                """
                SELECT neighborhood || '@' || interval_start FROM ingest_context_partials
                WHERE interval_start + 300000 <= \(contextEnd - lateness) AND (weather_count + delay_count + event_updates > 0 OR final_emitted)
                """
            )
            let expectedTraffic = try await keys(
                harness,
                """
                SELECT segment_id || '@' || interval_start FROM ingest_traffic_intervals
                WHERE interval_start + 300000 <= \(trafficEnd - lateness) AND (sample_count > 0 OR final_emitted)
                """
            )
            let context = Set(
                try await harness.drain(.observedContext).map {
                    let o = try WireCodec.decode(ContextObservation.self, from: $0)
                    return "\(o.neighborhood)@\(o.eventTime)"
                })
            let traffic = Set(
                try await harness.drain(.observedTraffic).map {
                    let o = try WireCodec.decode(TrafficObservation.self, from: $0)
                    return "\(o.segmentID)@\(o.eventTime)"
                })
            #expect(!expectedContext.isEmpty && !expectedTraffic.isEmpty)
            #expect(
                expectedContext.subtracting(context).isEmpty, "obs.context misses \(expectedContext.subtracting(context).count) intervals")
            #expect(
                expectedTraffic.subtracting(traffic).isEmpty, "obs.traffic misses \(expectedTraffic.subtracting(traffic).count) intervals")
            print("tail (\(restarts) restarts at \(points)): \(context.count) context and \(traffic.count) traffic intervals emitted")
        }
    }

    /// Waits until no interval due by its stream's end (newest event time minus the lateness) is
    /// still dirty; returns how many are left when the wait gives up.
    private func waitUntilNothingDue(_ harness: IngestHarness) async throws -> (traffic: Int64, context: Int64) {
        let lateness = harness.configuration.allowedLatenessMillis
        var left: (traffic: Int64, context: Int64) = (-1, -1)
        var clock = PatientClock()
        while clock.charged < .seconds(120) {
            left.traffic = try await harness.scalar(
                """
                SELECT count(*) FROM ingest_traffic_intervals WHERE dirty AND interval_start + 300000 <= \
                (SELECT max(max_event_time) FROM ingest_watermarks WHERE stream LIKE 'traffic|%') - \(lateness)
                """)
            left.context = try await harness.scalar(
                """
                SELECT count(*) FROM ingest_context_partials WHERE dirty AND interval_start + 300000 <= \
                (SELECT max(max_event_time) FROM ingest_watermarks WHERE stream LIKE 'context|%') - \(lateness)
                """)
            let outbox = try await harness.scalar("SELECT count(*) FROM ingest_outbox")
            if left == (0, 0) && outbox == 0 { return left }
            try await clock.pause(.milliseconds(250))
        }
        return left
    }

    private func keys(_ harness: IngestHarness, _ query: PostgresQuery) async throws -> Set<String> {
        var result: Set<String> = []
        for try await key in try await harness.database.query(query, logger: TestStack.logger).decode(String.self) { result.insert(key) }
        return result
    }

    /// Per feed, every published record received exactly once (none lost to the outage, none
    /// counted again when its batch was retried).
    private func checkExactlyOnce(_ harness: IngestHarness, records: [FeedRecord]) async throws {
        let report = try await AccountingReport.load(from: harness.database, logger: TestStack.logger)
        for feed in Feed.allCases {
            let published = records.filter { $0.topic == feed.topic }.count
            let counts = try #require(report.feeds[feed.rawValue], "feed \(feed) has accounting")
            #expect(counts.received == published, "\(feed): received \(counts.received) of \(published) exactly once")
            #expect(counts.accepted + counts.rejected + counts.duplicate == counts.received)
        }
    }
}
