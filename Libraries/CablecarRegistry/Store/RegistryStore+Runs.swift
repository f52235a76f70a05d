import CablecarDomain
import CablecarRegistryAPI
import PostgresNIO

extension RegistryStore {
    /// Starts a run (status RUNNING) in an existing experiment.
    public func createRun(
        experimentID: Int64, name: String = "", tags: [String: String] = [:], startTime: EpochMillis? = nil, userID: String = ""
    ) async throws -> Run {
        for (key, value) in tags { try validateTag(key, value) }
        guard let experiment = try await experiment(id: experimentID) else {
            throw RegistryError.notFound("No Experiment with id=\(experimentID) exists")
        }
        guard experiment.lifecycleStage == "active" else {
            throw RegistryError(.invalidState, "experiment \(experimentID) is deleted; runs cannot be created in it")
        }
        let id = Self.newRunID()
        let start = startTime ?? Self.now()
        let runName = name.isEmpty ? "run-\(id.prefix(8))" : name
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO registry_runs (id, experiment_id, name, status, start_time_ms, user_id, host)
                VALUES (\(id), \(experimentID), \(runName), 'RUNNING', \(start), \(userID), \(host))
                """, logger: logger)
            for (key, value) in tags {
                try await connection.query(
                    "INSERT INTO registry_run_tags (run_id, key, value) VALUES (\(id), \(key), \(value))", logger: logger)
            }
        }
        RegistryMetrics.runCreated()
        logger.debug("Run started", metadata: ["run": "\(id)", "experiment": "\(experimentID)"])
        return try await requireRun(id)
    }

    public func run(id: String) async throws -> Run? {
        guard Self.isRunID(id) else { return nil }
        let rows = try await client.query(
            """
            SELECT experiment_id, name, status, failure_reason, start_time_ms, end_time_ms, lifecycle_stage, user_id, host,
                   dataset_fingerprint, code_version
            FROM registry_runs WHERE id = \(id)
            """, logger: logger)
        for try await (experimentID, name, status, failure, start, end, stage, user, host, fingerprint, code) in rows.decode(
            (Int64, String, String, String?, Int64, Int64?, String, String, String, String?, String?).self)
        {
            var params: [String: String] = [:]
            for try await (key, value) in try await client.query(
                "SELECT key, value FROM registry_run_params WHERE run_id = \(id)", logger: logger
            ).decode((String, String).self) {
                params[key] = value
            }
            var tags: [String: String] = [:]
            for try await (key, value) in try await client.query(
                "SELECT key, value FROM registry_run_tags WHERE run_id = \(id)", logger: logger
            ).decode((String, String).self) {
                tags[key] = value
            }
            var features: [String: Int] = [:]
            for try await (feature, version) in try await client.query(
                "SELECT feature, version FROM registry_run_feature_versions WHERE run_id = \(id)", logger: logger
            ).decode((String, Int).self) {
                features[feature] = version
            }
            var latest: [String: MetricPoint] = [:]
            for try await (key, value, timestamp, step) in try await client.query(
                """
                SELECT DISTINCT ON (key) key, value, timestamp_ms, step FROM registry_run_metrics
                WHERE run_id = \(id) ORDER BY key, step DESC, timestamp_ms DESC, id DESC
                """, logger: logger
            ).decode((String, Double, Int64, Int64).self) {
                latest[key] = MetricPoint(key: key, value: value, timestamp: timestamp, step: step)
            }
            return Run(
                id: id, experimentID: experimentID, name: name, status: RunStatus(rawValue: status) ?? .running, failureReason: failure,
                startTime: start, endTime: end, lifecycleStage: stage, userID: user, host: host, params: params, latestMetrics: latest,
                tags: tags, lineage: RunLineage(datasetFingerprint: fingerprint, featureVersions: features, codeVersion: code),
                datasetInputs: try await datasetInputs(of: [id])[id] ?? [])
        }
        return nil
    }

    func requireRun(_ id: String) async throws -> Run {
        guard let run = try await run(id: id) else { throw RegistryError.notFound("Run with id=\(id) not found") }
        return run
    }

    /// Refuses unknown and deleted runs: logging goes only to active runs (MLflow semantics).
    func requireActiveRun(_ id: String, on connection: PostgresConnection) async throws {
        guard Self.isRunID(id) else { throw RegistryError.notFound("Run with id=\(id) not found") }
        var stage: String?
        for try await value in try await connection.query(
            "SELECT lifecycle_stage FROM registry_runs WHERE id = \(id)", logger: logger
        ).decode(String.self) {
            stage = value
        }
        guard let stage else { throw RegistryError.notFound("Run with id=\(id) not found") }
        guard stage == "active" else {
            throw RegistryError(.invalidParameter, "The run \(id) must be in the 'active' state. Current state is \(stage).")
        }
    }

    func validateTag(_ key: String, _ value: String) throws {
        try validateKey(key, "tag")
        guard value.unicodeScalars.count <= limits.maxTagValueLength else {
            throw RegistryError.invalid(
                "tag '\(key)' value has \(value.unicodeScalars.count) characters; the limit is \(limits.maxTagValueLength)")
        }
    }

    /// Logs parameters. A parameter is immutable: logging the same value again is accepted,
    /// another value is refused and nothing of the call is stored.
    public func logParameters(runID: String, _ parameters: [String: String]) async throws {
        try await logBatch(runID: runID, parameters: parameters)
    }

    /// Appends metric points; the whole history is kept.
    public func logMetrics(runID: String, _ metrics: [MetricPoint]) async throws {
        try await logBatch(runID: runID, metrics: metrics)
    }

    /// Sets (or overwrites) tags.
    public func setTags(runID: String, _ tags: [String: String]) async throws {
        try await logBatch(runID: runID, tags: tags)
    }

    /// Parameters, metrics and tags in one transaction: all stored or none.
    public func logBatch(
        runID: String, metrics: [MetricPoint] = [], parameters: [String: String] = [:], tags: [String: String] = [:]
    ) async throws {
        for (key, value) in parameters {
            try validateKey(key, "param")
            guard value.unicodeScalars.count <= limits.maxParamValueLength else {
                throw RegistryError.invalid(
                    "param '\(key)' value has \(value.unicodeScalars.count) characters; the limit is \(limits.maxParamValueLength)")
            }
        }
        for metric in metrics { try validateKey(metric.key, "metric") }
        for (key, value) in tags { try validateTag(key, value) }
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            // One statement per kind (arrays unnested server-side): a batch of 1000 points is
            // one round trip, not 1000.
            if !parameters.isEmpty {
                let keys = Array(parameters.keys)
                let values = keys.map { parameters[$0] ?? "" }
                // The no-op update makes RETURNING yield the stored value on a conflict.
                for try await (key, stored) in try await connection.query(
                    """
                    INSERT INTO registry_run_params (run_id, key, value)
                    SELECT \(runID), k, v FROM unnest(\(keys)::text[], \(values)::text[]) AS p(k, v)
                    ON CONFLICT (run_id, key) DO UPDATE SET value = registry_run_params.value RETURNING key, value
                    """, logger: logger
                ).decode((String, String).self) {
                    if let wanted = parameters[key], stored != wanted {
                        throw RegistryError.invalid(
                            "Changing param values is not allowed. Param with key='\(key)' was already logged with value='\(stored)' "
                                + "for run ID='\(runID)'. Attempted logging new value '\(wanted)'.")
                    }
                }
            }
            if !metrics.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO registry_run_metrics (run_id, key, value, timestamp_ms, step)
                    SELECT \(runID), k, v, t, s
                    FROM unnest(\(metrics.map(\.key))::text[], \(metrics.map(\.value))::float8[], \(metrics.map(\.timestamp))::int8[],
                                \(metrics.map(\.step))::int8[]) AS m(k, v, t, s)
                    """, logger: logger)
            }
            if !tags.isEmpty {
                let keys = Array(tags.keys)
                let values = keys.map { tags[$0] ?? "" }
                try await connection.query(
                    """
                    INSERT INTO registry_run_tags (run_id, key, value)
                    SELECT \(runID), k, v FROM unnest(\(keys)::text[], \(values)::text[]) AS p(k, v)
                    ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            }
            if let value = tags["mlflow.runName"] {
                try await connection.query("UPDATE registry_runs SET name = \(value) WHERE id = \(runID)", logger: logger)
            }
        }
        RegistryMetrics.metricPoints(metrics.count)
    }

    public func deleteTag(runID: String, key: String) async throws {
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            try await connection.query("DELETE FROM registry_run_tags WHERE run_id = \(runID) AND key = \(key)", logger: logger)
        }
    }

    /// Every point of one metric, oldest step first.
    public func metricHistory(runID: String, key: String) async throws -> [MetricPoint] {
        var points: [MetricPoint] = []
        for try await (value, timestamp, step) in try await client.query(
            """
            SELECT value, timestamp_ms, step FROM registry_run_metrics WHERE run_id = \(runID) AND key = \(key)
            ORDER BY step, timestamp_ms, id
            """, logger: logger
        ).decode((Double, Int64, Int64).self) {
            points.append(MetricPoint(key: key, value: value, timestamp: timestamp, step: step))
        }
        return points
    }

    /// What the run was trained on. Feature versions are merged with earlier ones.
    public func recordLineage(
        runID: String, datasetFingerprint: String?, featureVersions: [String: Int], codeVersion: String?
    ) async throws {
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            try await connection.query(
                """
                UPDATE registry_runs SET dataset_fingerprint = coalesce(\(datasetFingerprint), dataset_fingerprint),
                    code_version = coalesce(\(codeVersion), code_version)
                WHERE id = \(runID)
                """, logger: logger)
            for (feature, version) in featureVersions {
                try await connection.query(
                    """
                    INSERT INTO registry_run_feature_versions (run_id, feature, version) VALUES (\(runID), \(feature), \(version))
                    ON CONFLICT (run_id, feature) DO UPDATE SET version = EXCLUDED.version
                    """, logger: logger)
            }
        }
    }

    /// Ends (or updates) a run. `failureReason` is kept for FAILED and KILLED runs.
    @discardableResult
    public func finishRun(
        runID: String, status: RunStatus, failureReason: String? = nil, endTime: EpochMillis? = nil, name: String? = nil
    ) async throws -> Run {
        let end: EpochMillis? = status.isTerminal ? (endTime ?? Self.now()) : endTime
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            try await connection.query(
                """
                UPDATE registry_runs SET status = \(status.rawValue), end_time_ms = \(end),
                    failure_reason = \(status == .finished ? nil : failureReason),
                    name = coalesce(nullif(\(name ?? ""), ''), name)
                WHERE id = \(runID)
                """, logger: logger)
        }
        if status.isTerminal {
            RegistryMetrics.runFinished(status)
            logger.info("Run ended", metadata: ["run": "\(runID)", "status": "\(status.rawValue)", "reason": "\(failureReason ?? "")"])
        }
        return try await requireRun(runID)
    }

    /// Marks a run deleted (it disappears from listings; its versions keep their lineage).
    public func deleteRun(runID: String, actor: String) async throws {
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            try await connection.query("UPDATE registry_runs SET lifecycle_stage = 'deleted' WHERE id = \(runID)", logger: logger)
            try await audit(connection, actor: actor, action: "run.delete", subject: "run/\(runID)", reason: "", details: [:])
        }
    }

    /// Runs of one experiment, newest first.
    public func runs(experimentID: Int64, filter: RunFilter = RunFilter()) async throws -> [Run] {
        try await runs(experimentIDs: [experimentID], filter: filter)
    }

    public func runs(experimentIDs: [Int64], filter: RunFilter = RunFilter()) async throws -> [Run] {
        let limit = max(1, min(filter.limit, 10_000))
        let all = try await runs(experimentIDs: experimentIDs, lifecycle: [.active])
        return Array(
            all.lazy.filter { run in
                (filter.status == nil || run.status == filter.status) && filter.tags.allSatisfy { run.tags[$0.key] == $0.value }
            }.prefix(limit))
    }
}
