import ArgumentParser
import CablecarDomain
import CablecarKafka
import CablecarPostgres
import CablecarRegistry
import CablecarRegistryAPI
import Foundation
import Logging
import PostgresNIO

/// `cablecar-bench registry`: the registry's write paths against a running Postgres and broker
/// (`cablecar stack up`), in a database and `model.events` topic of the run's own: metric
/// points logged per second (log-batch of 1000), model versions registered per second
/// (sequential and from concurrent trainers), and stage-transition latency (events published
/// and acknowledged by the broker before the call returns).
enum RegistryBenchmark {
    static func run(brokers: String, databaseURL: String, runs: Int, versions: Int, concurrency: Int) async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = .warning
        try await BenchDatabase.withOwn(prefix: "registry_bench", serverURL: databaseURL, drop: true, logger: logger) { database in
            let (suffix, client) = (database.suffix, database.client)
            try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
            let topic = "bench-\(suffix).\(Topic.modelEvents.rawValue)"
            try await KafkaAdmin(configuration: KafkaClientConfiguration(brokers: brokers), logger: logger)
                .ensureTopics([TopicSpecification(name: topic, partitions: 3)])
            let publisher = try KafkaModelEventPublisher(brokers: brokers, topic: topic, logger: logger)
            let store = RegistryStore(client: client, events: publisher, logger: logger)
            try await measure(store, runs: runs, versions: versions, concurrency: concurrency)
            await publisher.producer.close()
        }
    }

    static func measure(_ store: RegistryStore, runs: Int, versions: Int, concurrency: Int) async throws {
        let experiment = try await store.ensureExperiment(name: "bench")
        var runIDs: [String] = []
        let logStart = ContinuousClock.now
        for index in 0..<runs {
            let run = try await store.createRun(experimentID: experiment.id, name: "bench-\(index)")
            let points = (0..<1000).map { step in
                MetricPoint(
                    key: "loss_\(step % 10)", value: Double(step) * 0.001, timestamp: 1_700_000_000_000 + Int64(step),
                    step: Int64(step / 10))
            }
            try await store.logBatch(runID: run.id, metrics: points, parameters: ["alpha": "0.1", "index": String(index)])
            try await store.putArtifact(
                runID: run.id, path: "model/weights.bin", bytes: [UInt8](repeating: UInt8(index % 256), count: 64 * 1024))
            try await store.finishRun(runID: run.id, status: .finished)
            runIDs.append(run.id)
        }
        let logSeconds = seconds(ContinuousClock.now - logStart)
        print(
            String(
                format: "registry: %d runs × 1000 metric points (+ params, 64 KiB artifact, finish) in %.2f s = %.0f metric points/s",
                runs, logSeconds, Double(runs * 1000) / logSeconds))

        try await store.ensureRegisteredModel(name: "bench-sequential")
        let registerStart = ContinuousClock.now
        for index in 0..<versions {
            _ = try await store.createModelVersion(
                modelName: "bench-sequential", runID: runIDs[index % runIDs.count], artifactPath: "model")
        }
        let registerSeconds = seconds(ContinuousClock.now - registerStart)
        print(
            String(
                format:
                    "registry: %d versions registered one after another in %.2f s = %.1f registrations/s (%.1f ms each, model.events acknowledged)",
                versions, registerSeconds, Double(versions) / registerSeconds, registerSeconds * 1000 / Double(versions)))

        try await store.ensureRegisteredModel(name: "bench-concurrent")
        let concurrentStart = ContinuousClock.now
        let perTask = max(1, versions / concurrency)
        let finishedRuns = runIDs
        let numbers = try await withThrowingTaskGroup(of: [Int].self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    var mine: [Int] = []
                    for index in 0..<perTask {
                        let run = finishedRuns[(task * perTask + index) % finishedRuns.count]
                        mine.append(
                            try await store.createModelVersion(modelName: "bench-concurrent", runID: run, artifactPath: "model").version)
                    }
                    return mine
                }
            }
            var all: [Int] = []
            for try await part in group { all += part }
            return all
        }
        let concurrentSeconds = seconds(ContinuousClock.now - concurrentStart)
        let distinct = Set(numbers).count == numbers.count && numbers.max() == numbers.count
        print(
            String(
                format:
                    "registry: %d versions from %d concurrent tasks in %.2f s = %.1f registrations/s (numbers distinct and gap-free: %@)",
                numbers.count, concurrency, concurrentSeconds, Double(numbers.count) / concurrentSeconds, distinct ? "yes" : "NO"))

        var latencies: [Double] = []
        let transitions = min(versions, 100)
        for version in 1...transitions {
            let start = ContinuousClock.now
            try await store.transition(
                modelName: "bench-sequential", version: version, to: .production, actor: "bench", reason: "benchmark")
            latencies.append(seconds(ContinuousClock.now - start) * 1000)
        }
        latencies.sort()
        print(
            String(
                format: "registry: %d promotions to production (each archives the previous one): p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                transitions, latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 95 / 100)],
                latencies.last ?? 0))
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}

struct RegistryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "Registry write paths: metric points/s, registrations/s, promotion latency.")
    @Option(help: "Broker list of a running stack (cablecar stack up).") var brokers = "127.0.0.1:19092"
    @Option(help: "Postgres URL of a running stack; the run creates (and drops) a database of its own there.")
    var database = "postgres://postgres@127.0.0.1:55432/cablecar"
    @Option(help: "Runs to log (1000 metric points each).") var runs = 50
    @Option(help: "Model versions to register sequentially, and again concurrently.") var versions = 200
    @Option(help: "Concurrent registering tasks.") var concurrency = 8

    func run() async throws {
        try await RegistryBenchmark.run(brokers: brokers, databaseURL: database, runs: runs, versions: versions, concurrency: concurrency)
    }
}
