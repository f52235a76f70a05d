import ArgumentParser
import CablecarDomain
import CablecarFeatureClient
import CablecarFeatureStore
import CablecarFeatures
import CablecarSimulation
import Foundation
import Logging

/// `cablecar-bench features`: online batch reads (client cache and the store's Postgres path),
/// historical retrieval rows/s, and backfill time for a month of the whole city. Needs a running
/// Postgres (`cablecar stack up`); the run creates a database of its own there.
struct FeaturesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Feature store: online reads p50/p99, retrieval rows/s, backfill time.")
    @Option(help: "Simulated days of history to backfill.") var days = 30
    @Option(help: "Days of the whole city to retrieve in one historical request.") var retrievalDays = 7
    @Option(help: "Interleaved rounds of the retrieval measurements (medians are reported).") var rounds = 3
    @Option(help: "Postgres URL of a running stack; the run creates a database of its own there.")
    var database = "postgres://postgres@127.0.0.1:55432/cablecar"

    func run() async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = .warning
        let city = try CityDefinition.bundledDefault()
        let figures = try await FeatureStoreBenchmark.run(
            city: city, days: days, retrievalDays: retrievalDays, rounds: rounds, databaseURL: database, logger: logger
        ) { baseURL, request in
            try await FeatureClient(baseURL: baseURL, recordSnapshots: false).historical(request).rows.count
        }
        let postgres = Percentiles(figures.onlinePostgres)
        print(
            String(
                format: "features: online batch read of 100 segments from Postgres: p50 %.3f ms, p99 %.3f ms (target p99 < 10 ms)",
                postgres.p50, postgres.p99))
        let cache = try await cacheLatencies(city: city)
        print(
            String(
                format: "features: online batch read of 100 segments from the client cache: p50 %.4f ms, p99 %.4f ms (target p99 < 2 ms)",
                cache.p50, cache.p99))
        func median(_ key: String) -> Double {
            let sorted = (figures.retrieval[key] ?? []).sorted()
            return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
        }
        print(
            String(
                format: "features: historical retrieval of %d rows, medians of %d rounds (target >= 200,000 rows/s):",
                figures.retrievalRows, rounds))
        print(
            String(
                format: "  over HTTP, binary rows: %.0f rows/s; NDJSON: %.0f rows/s (binary/NDJSON %.2fx)",
                median("binary"), median("ndjson"), median("binary") / median("ndjson")))
        print(String(format: "  over HTTP to curl (binary rows, a C client): %.0f rows/s", median("curl")))
        print(
            String(format: "  FeatureClient.historical end to end (binary, decoded, fingerprint verified): %.0f rows/s", median("client")))
        print(
            String(
                format: "  store side in process (read, hash, encode): binary %.0f rows/s, NDJSON %.0f rows/s",
                median("store-binary"), median("store-ndjson")))
        print(String(format: "features: backfill of %d days in %.1f s", days, figures.backfillSeconds))
    }

    /// Reads of 100 cached segments through `FeatureClient.online` (every vector a cache hit):
    /// the cache is filled from the store's own answer shape, so no server is involved here.
    func cacheLatencies(city: CityDefinition) async throws -> Percentiles {
        let client = FeatureClient(baseURL: URL(string: "http://127.0.0.1:1")!, cacheTTL: .seconds(600))
        let names = FeatureCatalog.current.map(\.name)
        let ids = city.segments.map(\.id)
        client.prime(
            OnlineFeatureResponse(
                featureNames: names, featureVersions: [:],
                vectors: ids.map { OnlineFeatureVector(segmentID: $0, neighborhood: "n", timestamp: 0, values: names.map { _ in 1.5 }) },
                missing: []))
        var latencies: [Double] = []
        for i in 0..<10_100 {
            let batch = (0..<100).map { ids[(i * 37 + $0) % ids.count] }
            let t0 = ContinuousClock.now
            let answer = try await client.online(segments: batch)
            let elapsed = ContinuousClock.now - t0
            precondition(answer.vectors.count == 100, "cache read returned \(answer.vectors.count) vectors")
            if i >= 100 { latencies.append(elapsed.inSeconds * 1000) }
        }
        return Percentiles(latencies)
    }
}

struct Percentiles {
    var p50: Double
    var p99: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        p50 = at(0.5)
        p99 = at(0.99)
    }
}
