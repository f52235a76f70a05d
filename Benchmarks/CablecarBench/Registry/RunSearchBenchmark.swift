import ArgumentParser
import CablecarDomain
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import Foundation
import Logging
import PostgresNIO

/// `cablecar-bench search-runs`: MLflow run searches over many runs, in a database of the run's
/// own on a running stack's Postgres. Each search is answered in SQL (filter, order, one page;
/// `RunQuery`, what the runs/search route uses), and, side by side, the way every search was
/// answered before: all runs of the experiment read with their params, tags and latest metrics,
/// then filtered and sorted in memory (still the route's fallback for params ordering).
enum RunSearchBenchmark {
    static func run(databaseURL: String, runs: Int, searches: Int) async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = .warning
        try await BenchDatabase.withOwn(prefix: "search_bench", serverURL: databaseURL, drop: true, logger: logger) { database in
            try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(database.client)
            let store = RegistryStore(client: database.client, events: NoEvents(), logger: logger)
            let experiment = try await store.ensureExperiment(name: "search bench")
            let seedStart = ContinuousClock.now
            try await seed(database.client, experimentID: experiment.id, runs: runs, logger: logger)
            print(
                String(
                    format: "search-runs: %d runs seeded (3 params, 2 tags, 3 metrics × 5 steps each) in %.1f s", runs, seconds(seedStart)))

            let cases: [(String, RunQuery)] = [
                (
                    "metrics.mae < 5 AND params.model = 'ridge'",
                    RunQuery(
                        experimentIDs: [experiment.id], lifecycle: [.active],
                        conditions: [.init(.metric("mae"), .number(.less, 5)), .init(.param("model"), .equal("ridge"))], limit: 100)
                ),
                (
                    "tags.team = 'a'",
                    RunQuery(
                        experimentIDs: [experiment.id], lifecycle: [.active], conditions: [.init(.tag("team"), .equal("a"))], limit: 100)
                ),
                (
                    "metrics.mae < 1, order_by metrics.mae ASC",
                    RunQuery(
                        experimentIDs: [experiment.id], lifecycle: [.active], conditions: [.init(.metric("mae"), .number(.less, 1))],
                        sortKeys: [.init(.metric("mae"), ascending: true)], limit: 100)
                ),
                ("no filter, page 11 of 100", RunQuery(experimentIDs: [experiment.id], lifecycle: [.active], offset: 1_000, limit: 100)),
            ]
            for (name, query) in cases {
                var latencies: [Double] = []
                var found = 0
                for _ in 0..<searches {
                    let start = ContinuousClock.now
                    found = try await store.runs(matching: query).runs.count
                    latencies.append(seconds(start) * 1000)
                }
                latencies.sort()
                let memoryStart = ContinuousClock.now
                _ = try await store.runs(experimentIDs: [experiment.id], lifecycle: [.active])
                let memory = seconds(memoryStart) * 1000
                let p50 = latencies[latencies.count / 2]
                let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
                print(
                    String(
                        format:
                            "search-runs: %@ (%d on the page): SQL p50 %.1f ms, p99 %.1f ms over %d; all runs read into memory %.0f ms (%.0f× p50)",
                        name, found, p50, p99, searches, memory, memory / p50))
            }
        }
    }

    /// Runs, params, tags and metric histories written in bulk by Postgres itself.
    static func seed(_ client: PostgresClient, experimentID: Int64, runs: Int, logger: Logger) async throws {
        let count = Int64(runs)
        try await client.query(
            """
            INSERT INTO registry_runs (id, experiment_id, name, status, start_time_ms, end_time_ms, user_id)
            SELECT md5(i::text), \(experimentID), 'run-' || i, 'FINISHED', 1704067200000 + i * 1000, 1704067200000 + i * 1000 + 500, 'bench'
            FROM generate_series(1, \(count)) AS i
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO registry_run_params (run_id, key, value)
            SELECT md5(i::text), k, CASE k WHEN 'model' THEN (ARRAY['ridge', 'rident', 'average'])[1 + i % 3]
                                        WHEN 'alpha' THEN (i % 10)::text ELSE 'x' || i END
            FROM generate_series(1, \(count)) AS i, unnest(ARRAY['model', 'alpha', 'seed']) AS k
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO registry_run_tags (run_id, key, value)
            SELECT md5(i::text), k, CASE k WHEN 'team' THEN (ARRAY['a', 'b', 'c', 'd'])[1 + i % 4] ELSE 'note ' || i END
            FROM generate_series(1, \(count)) AS i, unnest(ARRAY['team', 'note']) AS k
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO registry_run_metrics (run_id, key, value, timestamp_ms, step)
            SELECT md5(i::text), k, ((i * 37 + s * 11) % 1000) / 100.0, 1704067200000 + s, s
            FROM generate_series(1, \(count)) AS i, unnest(ARRAY['mae', 'rmse', 'r2']) AS k, generate_series(0, 4) AS s
            """, logger: logger)
        try await client.query("ANALYZE", logger: logger)
    }

    static func seconds(_ start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return duration.inSeconds
    }

    struct NoEvents: ModelEventPublisher {
        func publish(modelName: String, payload: [UInt8]) async throws {}
    }
}

struct RunSearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search-runs", abstract: "MLflow run searches over many runs: in SQL (p50, p99) beside reading all runs into memory.")
    @Option(help: "Postgres URL of a running stack; the run creates (and drops) a database of its own there.")
    var database = "postgres://postgres@127.0.0.1:55432/cablecar"
    @Option(help: "Runs to seed.") var runs = 100_000
    @Option(help: "Timed searches per case.") var searches = 200

    func run() async throws {
        try await RunSearchBenchmark.run(databaseURL: database, runs: runs, searches: searches)
    }
}
