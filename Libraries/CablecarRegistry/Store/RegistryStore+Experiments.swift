import CablecarDomain
import CablecarRegistryAPI
import PostgresNIO

extension RegistryStore {
    public func experiment(named name: String) async throws -> Experiment? {
        let rows = try await client.query(
            "SELECT id FROM registry_experiments WHERE name = \(name)", logger: logger)
        for try await id in rows.decode(Int64.self) { return try await experiment(id: id) }
        return nil
    }

    public func experiment(id: Int64) async throws -> Experiment? {
        let rows = try await client.query(
            """
            SELECT id, name, artifact_location, lifecycle_stage, created_at_ms, updated_at_ms
            FROM registry_experiments WHERE id = \(id)
            """, logger: logger)
        for try await (id, name, location, stage, created, updated) in rows.decode((Int64, String, String, String, Int64, Int64).self) {
            var tags: [String: String] = [:]
            for try await (key, value) in try await client.query(
                "SELECT key, value FROM registry_experiment_tags WHERE experiment_id = \(id)", logger: logger
            ).decode((String, String).self) {
                tags[key] = value
            }
            return Experiment(
                id: id, name: name, artifactLocation: location, lifecycleStage: stage, createdAt: created, updatedAt: updated, tags: tags)
        }
        return nil
    }

    /// Creates an experiment; a taken name is `RESOURCE_ALREADY_EXISTS`.
    /// `artifactLocation` nil: "mlflow-artifacts:/<id>", served by this registry.
    public func createExperiment(name: String, tags: [String: String] = [:], artifactLocation: String? = nil) async throws -> Experiment {
        guard !name.isEmpty, name.unicodeScalars.count <= 500 else {
            throw RegistryError.invalid("experiment name must be 1 to 500 characters")
        }
        for key in tags.keys { try validateKey(key, "tag") }
        let now = Self.now()
        let id: Int64
        do {
            id = try await transaction { connection in
                var created: Int64?
                for try await id in try await connection.query(
                    """
                    INSERT INTO registry_experiments (name, artifact_location, created_at_ms, updated_at_ms)
                    VALUES (\(name), '', \(now), \(now)) RETURNING id
                    """, logger: logger
                ).decode(Int64.self) {
                    created = id
                }
                guard let created else { throw RegistryError(.invalidState, "experiment insert returned no id") }
                let location = artifactLocation ?? "mlflow-artifacts:/\(created)"
                try await connection.query(
                    "UPDATE registry_experiments SET artifact_location = \(location) WHERE id = \(created)", logger: logger)
                for (key, value) in tags {
                    try await connection.query(
                        "INSERT INTO registry_experiment_tags (experiment_id, key, value) VALUES (\(created), \(key), \(value))",
                        logger: logger)
                }
                return created
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw RegistryError(.alreadyExists, "Experiment '\(name)' already exists.")
        }
        guard let experiment = try await experiment(id: id) else { throw RegistryError.notFound("experiment \(id) vanished") }
        return experiment
    }

    /// The experiment with this name, created when missing (safe when several trainers race).
    public func ensureExperiment(name: String, tags: [String: String] = [:]) async throws -> Experiment {
        if let existing = try await experiment(named: name) { return existing }
        do {
            return try await createExperiment(name: name, tags: tags)
        } catch let error as RegistryError where error.code == .alreadyExists {
            guard let existing = try await experiment(named: name) else { throw error }
            return existing
        }
    }

    /// Experiments by id, in two queries however many there are.
    public func experiments(limit: Int = 1000, lifecycle: [Lifecycle] = [.active]) async throws -> [Experiment] {
        var result: [Experiment] = []
        for try await (id, name, location, stage, created, updated) in try await client.query(
            """
            SELECT id, name, artifact_location, lifecycle_stage, created_at_ms, updated_at_ms FROM registry_experiments
            WHERE lifecycle_stage = ANY(\(lifecycle.map(\.rawValue))) ORDER BY id LIMIT \(Int64(max(1, limit)))
            """, logger: logger
        ).decode((Int64, String, String, String, Int64, Int64).self) {
            result.append(
                Experiment(
                    id: id, name: name, artifactLocation: location, lifecycleStage: stage, createdAt: created, updatedAt: updated, tags: [:]
                ))
        }
        guard !result.isEmpty else { return [] }
        var index: [Int64: Int] = [:]
        for (position, experiment) in result.enumerated() { index[experiment.id] = position }
        for try await (id, key, value) in try await client.query(
            "SELECT experiment_id, key, value FROM registry_experiment_tags WHERE experiment_id = ANY(\(result.map(\.id)))", logger: logger
        ).decode((Int64, String, String).self) {
            if let position = index[id] { result[position].tags[key] = value }
        }
        return result
    }

    public func setExperimentTag(experimentID: Int64, key: String, value: String) async throws {
        try validateKey(key, "tag")
        guard try await experiment(id: experimentID) != nil else {
            throw RegistryError.notFound("No Experiment with id=\(experimentID) exists")
        }
        try await client.query(
            """
            INSERT INTO registry_experiment_tags (experiment_id, key, value) VALUES (\(experimentID), \(key), \(value))
            ON CONFLICT (experiment_id, key) DO UPDATE SET value = EXCLUDED.value
            """, logger: logger)
    }
}

extension RegistryStore {
    /// Marks an experiment deleted (its runs stay, for lineage).
    public func deleteExperiment(id: Int64, actor: String) async throws {
        try await transaction { connection in
            var found = false
            for try await _ in try await connection.query(
                """
                UPDATE registry_experiments SET lifecycle_stage = 'deleted', updated_at_ms = \(Self.now())
                WHERE id = \(id) RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                found = true
            }
            guard found else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
            try await audit(connection, actor: actor, action: "experiment.delete", subject: "experiment/\(id)", reason: "", details: [:])
        }
    }
}
