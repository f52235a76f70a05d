import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import Logging
import PostgresNIO

/// Copies each model version's test-period errors from the registry into `monitor_test_errors`,
/// once per version. The trainer logs them on the version's run as
/// `test.candidate.<target>.h<h>.mae` (city) and `test.candidate.<target>.h<h>.<neighborhood>.mae`
/// (EvaluationReport.metrics in CablecarForecasting).
struct TestErrorStore: Sendable {
    let registry: RegistryStore
    let client: PostgresClient
    let logger: Logger

    struct Entry: Equatable, Sendable {
        var neighborhood: String
        var target: String
        var horizon: Int
        var mae: Double
    }

    /// Looks up every (model, version) not looked up before. A version the registry does not
    /// know (yet) is tried again on a later batch.
    func ensure(_ versions: Set<ModelKey>) async throws {
        guard !versions.isEmpty else { return }
        var known: Set<ModelKey> = []
        let rows = try await client.query("SELECT model_name, model_version FROM monitor_test_error_lookups", logger: logger)
        for try await (name, version) in rows.decode((String, Int32).self) { known.insert(ModelKey(name: name, version: Int(version))) }
        for key in versions.subtracting(known).sorted(by: { ($0.name, $0.version) < ($1.name, $1.version) }) {
            guard let version = try await registry.version(modelName: key.name, version: key.version) else { continue }
            var entries: [Entry] = []
            if let runID = version.runID, let run = try await registry.run(id: runID) {
                entries = Self.parse(run.latestMetrics.mapValues(\.value))
            }
            try await store(key, entries)
            logger.info(
                "Test-period errors read from the registry",
                metadata: ["model": "\(key.name)", "version": "\(key.version)", "figures": "\(entries.count)"])
        }
    }

    private func store(_ key: ModelKey, _ entries: [Entry]) async throws {
        let neighborhoods = entries.map(\.neighborhood)
        let targets = entries.map(\.target)
        let horizons = entries.map { Int32(clamping: $0.horizon) }
        let maes = entries.map(\.mae)
        let version = Int32(clamping: key.version)
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO monitor_test_errors (model_name, model_version, neighborhood, target, horizon_min, mae)
                SELECT \(key.name), \(version), n, t, h, m FROM UNNEST(\(neighborhoods)::text[], \(targets)::text[], \(horizons)::int4[], \(maes)::float8[]) AS u(n, t, h, m)
                ON CONFLICT DO NOTHING
                """, logger: self.logger)
            try await connection.query(
                """
                INSERT INTO monitor_test_error_lookups (model_name, model_version, found) VALUES (\(key.name), \(version), \(Int32(clamping: entries.count)))
                ON CONFLICT DO NOTHING
                """, logger: self.logger)
        }
    }

    /// `test.candidate.<target>.h<h>[.<neighborhood>].mae` → entries (neighborhood '' = city).
    static func parse(_ metrics: [String: Double]) -> [Entry] {
        let prefix = "test.candidate."
        var result: [Entry] = []
        for (key, value) in metrics where key.hasPrefix(prefix) && key.hasSuffix(".mae") && value.isFinite && value >= 0 {
            let parts = key.dropFirst(prefix.count).dropLast(".mae".count).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[1].first == "h", let horizon = Int(parts[1].dropFirst()), (1...10_080).contains(horizon) else {
                continue
            }
            let neighborhood = parts.count > 2 ? parts[2...].joined(separator: ".") : ""
            result.append(Entry(neighborhood: neighborhood, target: String(parts[0]), horizon: horizon, mae: value))
        }
        return result.sorted { ($0.neighborhood, $0.target, $0.horizon) < ($1.neighborhood, $1.target, $1.horizon) }
    }
}

/// A model version.
struct ModelKey: Hashable, Sendable {
    var name: String
    var version: Int
}
