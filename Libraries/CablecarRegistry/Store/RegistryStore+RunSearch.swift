import CablecarDomain
import CablecarRegistryAPI
import Foundation
import PostgresNIO

/// Runs loaded in bulk for listings and searches: five queries however many runs (never a
/// query per run), newest first.
extension RegistryStore {
    public enum Lifecycle: String, Sendable, CaseIterable {
        case active, deleted

        /// MLflow's view types: ACTIVE_ONLY (default), DELETED_ONLY, ALL.
        public static func stages(viewType: String?) throws -> [Lifecycle] {
            switch (viewType ?? "ACTIVE_ONLY").uppercased() {
            case "ACTIVE_ONLY", "1", "": return [.active]
            case "DELETED_ONLY", "2": return [.deleted]
            case "ALL", "3": return [.active, .deleted]
            default: throw RegistryError.invalid("view type '\(viewType ?? "")' must be ACTIVE_ONLY, DELETED_ONLY or ALL")
            }
        }
    }

    public func runs(experimentIDs: [Int64], lifecycle: [Lifecycle], limit: Int = 1_000_000) async throws -> [Run] {
        let stages = lifecycle.map(\.rawValue)
        return try await searching { connection in
            try await runs(
                selecting: """
                    SELECT id, experiment_id, name, status, failure_reason, start_time_ms, end_time_ms, lifecycle_stage, user_id, host,
                           dataset_fingerprint, code_version
                    FROM registry_runs WHERE experiment_id = ANY(\(experimentIDs)) AND lifecycle_stage = ANY(\(stages))
                    ORDER BY start_time_ms DESC, id LIMIT \(Int64(max(1, limit)))
                    """, on: connection)
        }
    }

    /// One page of a search Postgres answers whole (see `RunQuery`), in its order, and whether
    /// another page follows.
    /// Bounded in time like every search (see `searching`).
    public func runs(matching query: RunQuery) async throws -> (runs: [Run], more: Bool) {
        try await searching { connection in
            var ids: [String] = []
            for try await id in try await connection.query(query.statement(), logger: logger).decode(String.self) { ids.append(id) }
            let more = ids.count > query.limit
            if more { ids.removeLast(ids.count - query.limit) }
            guard !ids.isEmpty else { return ([], more) }
            let loaded = try await runs(
                selecting: """
                    SELECT id, experiment_id, name, status, failure_reason, start_time_ms, end_time_ms, lifecycle_stage, user_id, host,
                           dataset_fingerprint, code_version
                    FROM registry_runs WHERE id = ANY(\(ids))
                    """, on: connection)
            var byID: [String: Run] = [:]
            for run in loaded { byID[run.id] = run }
            return (ids.compactMap { byID[$0] }, more)
        }
    }

    /// The runs `query` selects (its columns as in `runs(experimentIDs:)`), in its order, with
    /// their params, tags, lineage and latest metrics.
    private func runs(selecting query: PostgresQuery, on connection: PostgresConnection) async throws -> [Run] {
        struct Row {
            var experimentID: Int64, name: String, status: String, failure: String?, start: Int64, end: Int64?, stage: String
            var user: String, host: String, fingerprint: String?, code: String?
        }
        var order: [String] = []
        var rows: [String: Row] = [:]
        for try await (id, experimentID, name, status, failure, start, end, stage, user, host, fingerprint, code)
            in try await connection.query(
                query, logger: logger
            ).decode((String, Int64, String, String, String?, Int64, Int64?, String, String, String, String?, String?).self)
        {
            order.append(id)
            rows[id] = Row(
                experimentID: experimentID, name: name, status: status, failure: failure, start: start, end: end, stage: stage, user: user,
                host: host, fingerprint: fingerprint, code: code)
        }
        guard !order.isEmpty else { return [] }
        var params: [String: [String: String]] = [:]
        var tags: [String: [String: String]] = [:]
        var features: [String: [String: Int]] = [:]
        var latest: [String: [String: MetricPoint]] = [:]
        for try await (id, key, value) in try await connection.query(
            "SELECT run_id, key, value FROM registry_run_params WHERE run_id = ANY(\(order))", logger: logger
        ).decode((String, String, String).self) {
            params[id, default: [:]][key] = value
        }
        for try await (id, key, value) in try await connection.query(
            "SELECT run_id, key, value FROM registry_run_tags WHERE run_id = ANY(\(order))", logger: logger
        ).decode((String, String, String).self) {
            tags[id, default: [:]][key] = value
        }
        for try await (id, feature, version) in try await connection.query(
            "SELECT run_id, feature, version FROM registry_run_feature_versions WHERE run_id = ANY(\(order))", logger: logger
        ).decode((String, String, Int).self) {
            features[id, default: [:]][feature] = version
        }
        for try await (id, key, value, timestamp, step) in try await connection.query(
            """
            SELECT DISTINCT ON (run_id, key) run_id, key, value, timestamp_ms, step FROM registry_run_metrics
            WHERE run_id = ANY(\(order)) ORDER BY run_id, key, step DESC, timestamp_ms DESC, id DESC
            """, logger: logger
        ).decode((String, String, Double, Int64, Int64).self) {
            latest[id, default: [:]][key] = MetricPoint(key: key, value: value, timestamp: timestamp, step: step)
        }
        let inputs = try await datasetInputs(of: order, on: connection)
        return order.compactMap { id in
            guard let row = rows[id] else { return nil }
            return Run(
                id: id, experimentID: row.experimentID, name: row.name, status: RunStatus(rawValue: row.status) ?? .running,
                failureReason: row.failure, startTime: row.start, endTime: row.end, lifecycleStage: row.stage, userID: row.user,
                host: row.host, params: params[id] ?? [:], latestMetrics: latest[id] ?? [:], tags: tags[id] ?? [:],
                lineage: RunLineage(datasetFingerprint: row.fingerprint, featureVersions: features[id] ?? [:], codeVersion: row.code),
                datasetInputs: inputs[id] ?? [])
        }
    }

    /// Restores a deleted run (MLflow's restore_run).
    public func restoreRun(runID: String, actor: String) async throws {
        try await transaction { connection in
            var found = false
            for try await _ in try await connection.query(
                "UPDATE registry_runs SET lifecycle_stage = 'active' WHERE id = \(runID) RETURNING id", logger: logger
            ).decode(String.self) {
                found = true
            }
            guard found else { throw RegistryError.notFound("Run with id=\(runID) not found") }
            try await audit(connection, actor: actor, action: "run.restore", subject: "run/\(runID)", reason: "", details: [:])
        }
    }

    /// Restores a deleted experiment (MLflow's restore_experiment).
    public func restoreExperiment(id: Int64, actor: String) async throws {
        try await transaction { connection in
            var found = false
            for try await _ in try await connection.query(
                "UPDATE registry_experiments SET lifecycle_stage = 'active', updated_at_ms = \(Self.now()) WHERE id = \(id) RETURNING id",
                logger: logger
            ).decode(Int64.self) {
                found = true
            }
            guard found else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
            try await audit(connection, actor: actor, action: "experiment.restore", subject: "experiment/\(id)", reason: "", details: [:])
        }
    }

    /// Renames an experiment (MLflow's experiments/update); names stay unique.
    public func renameExperiment(id: Int64, to name: String) async throws {
        guard !name.isEmpty, name.unicodeScalars.count <= 256 else {
            throw RegistryError.invalid("experiment name must be 1 to 256 characters")
        }
        do {
            var found = false
            for try await _ in try await client.query(
                "UPDATE registry_experiments SET name = \(name), updated_at_ms = \(Self.now()) WHERE id = \(id) RETURNING id",
                logger: logger
            ).decode(Int64.self) {
                found = true
            }
            guard found else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw RegistryError(.alreadyExists, "Experiment '\(name)' already exists.")
        }
    }
}
