import CablecarDomain
import CablecarRegistryAPI
import PostgresNIO

extension RegistryStore {
    /// Creates a registered model; a taken name is `RESOURCE_ALREADY_EXISTS`.
    @discardableResult
    public func createRegisteredModel(name: String, description: String = "", tags: [String: String] = [:]) async throws -> RegisteredModel
    {
        try Self.validateModelName(name)
        for (key, value) in tags { try validateTag(key, value) }
        let now = Self.now()
        do {
            try await transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO registry_models (name, description, created_at_ms, updated_at_ms)
                    VALUES (\(name), \(description), \(now), \(now))
                    """, logger: logger)
                for (key, value) in tags {
                    try await connection.query(
                        "INSERT INTO registry_model_tags (model_name, key, value) VALUES (\(name), \(key), \(value))", logger: logger)
                }
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw RegistryError(.alreadyExists, "Registered Model (name=\(name)) already exists.")
        }
        return try await requireRegisteredModel(name)
    }

    /// The registered model, created when missing (safe when several trainers race).
    @discardableResult
    public func ensureRegisteredModel(name: String, description: String = "") async throws -> RegisteredModel {
        try Self.validateModelName(name)
        let now = Self.now()
        try await client.query(
            """
            INSERT INTO registry_models (name, description, created_at_ms, updated_at_ms)
            VALUES (\(name), \(description), \(now), \(now)) ON CONFLICT (name) DO NOTHING
            """, logger: logger)
        return try await requireRegisteredModel(name)
    }

    public func registeredModel(name: String) async throws -> RegisteredModel? {
        try await registeredModels(names: [name]).first
    }

    public func requireRegisteredModel(_ name: String) async throws -> RegisteredModel {
        guard let model = try await registeredModel(name: name) else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
        return model
    }

    /// Models by name, in three queries however many there are.
    public func registeredModels(limit: Int = 1000) async throws -> [RegisteredModel] {
        try await registeredModels(names: nil, limit: limit)
    }

    /// `names` nil: all models (up to `limit`), by name.
    func registeredModels(names: [String]?, limit: Int = 1000) async throws -> [RegisteredModel] {
        var result: [RegisteredModel] = []
        let rows: PostgresRowSequence
        if let names {
            rows = try await client.query(
                """
                SELECT name, description, created_at_ms, updated_at_ms FROM registry_models
                WHERE name = ANY(\(names)) ORDER BY name
                """, logger: logger)
        } else {
            rows = try await client.query(
                """
                SELECT name, description, created_at_ms, updated_at_ms FROM registry_models
                ORDER BY name LIMIT \(Int64(max(1, limit)))
                """, logger: logger)
        }
        for try await (name, description, created, updated) in rows.decode((String, String, Int64, Int64).self) {
            result.append(
                RegisteredModel(name: name, description: description, createdAt: created, updatedAt: updated, tags: [:], aliases: [:]))
        }
        guard !result.isEmpty else { return [] }
        var index: [String: Int] = [:]
        for (position, model) in result.enumerated() { index[model.name] = position }
        let found = result.map(\.name)
        for try await (name, key, value) in try await client.query(
            "SELECT model_name, key, value FROM registry_model_tags WHERE model_name = ANY(\(found))", logger: logger
        ).decode((String, String, String).self) {
            if let position = index[name] { result[position].tags[key] = value }
        }
        for try await (name, alias, version) in try await client.query(
            "SELECT model_name, alias, version FROM registry_model_aliases WHERE model_name = ANY(\(found))", logger: logger
        ).decode((String, String, Int).self) {
            if let position = index[name] { result[position].aliases[alias] = version }
        }
        return result
    }

    /// Registers a new version (stage `candidate`) of an existing model, atomically: the
    /// version row, its first transition, its audit row and its `model.events` outbox row are
    /// one transaction. Concurrent registrations are serialized on the model's row, so they
    /// get distinct, consecutive numbers.
    ///
    /// `artifactPath`: a file or directory among the run's stored artifacts ("" = none); its
    /// sha256 is recorded. `source`: MLflow's source URI (default "runs:/<run>/<path>").
    public func createModelVersion(
        modelName: String, runID: String?, artifactPath: String = "", description: String = "", source: String? = nil,
        tags: [String: String] = [:], actor: String = "cablecar"
    ) async throws -> ModelVersion {
        try await registerVersion(
            modelName: modelName, runID: runID, artifactPath: artifactPath, upload: nil, description: description, source: source,
            tags: tags, actor: actor)
    }

    /// Stores `artifact` at `artifactPath` of the run and registers it as a new version, in one
    /// transaction: either the version exists with its artifact, digest and lineage, or nothing
    /// of it does (a crash in between leaves no orphan).
    public func createModelVersion(
        modelName: String, runID: String, artifactPath: String, artifact: [UInt8], description: String = "",
        tags: [String: String] = [:], actor: String = "cablecar"
    ) async throws -> ModelVersion {
        guard artifact.count <= limits.maxArtifactBytes else {
            throw RegistryError(.tooLarge, "artifact has \(artifact.count) bytes; the limit is \(limits.maxArtifactBytes)")
        }
        return try await registerVersion(
            modelName: modelName, runID: runID, artifactPath: try Self.normalizedArtifactPath(artifactPath), upload: artifact,
            description: description, source: nil, tags: tags, actor: actor)
    }

    private func registerVersion(
        modelName: String, runID: String?, artifactPath: String, upload: [UInt8]?, description: String, source: String?,
        tags: [String: String], actor: String
    ) async throws -> ModelVersion {
        for (key, value) in tags { try validateTag(key, value) }
        if let runID, !Self.isRunID(runID) { throw RegistryError.notFound("Run with id=\(runID) not found") }
        let now = Self.now()
        let resolvedSource = source ?? (runID.map { "runs:/\($0)/\(artifactPath.trimmingSlashes)" } ?? "")
        let (version, pending) = try await transaction { connection -> (Int, [ModelEvent]) in
            try await lockModel(modelName, on: connection)
            if let upload, let runID {
                try await storeArtifact(runID: runID, path: artifactPath, bytes: upload, on: connection)
            }
            var next = 1
            for try await highest in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM registry_model_versions WHERE model_name = \(modelName)", logger: logger
            ).decode(Int.self) {
                next = highest + 1
            }
            do {
                try await connection.query(
                    """
                    INSERT INTO registry_model_versions
                        (model_name, version, run_id, source, artifact_path, description, stage, created_by, created_at_ms, updated_at_ms)
                    VALUES (\(modelName), \(next), \(runID), \(resolvedSource), \(artifactPath.trimmingSlashes), \(description),
                            'candidate', \(actor), \(now), \(now))
                    """, logger: logger)
            } catch let error as PSQLError where error.isForeignKeyViolation {
                throw RegistryError.notFound("Run with id=\(runID ?? "") not found")
            }
            for (key, value) in tags {
                try await connection.query(
                    """
                    INSERT INTO registry_model_version_tags (model_name, version, key, value)
                    VALUES (\(modelName), \(next), \(key), \(value))
                    """, logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO registry_model_transitions (model_name, version, from_stage, to_stage, actor, reason, occurred_at_ms)
                VALUES (\(modelName), \(next), NULL, 'candidate', \(actor), 'registered', \(now))
                """, logger: logger)
            try await connection.query(
                "UPDATE registry_models SET updated_at_ms = \(now) WHERE name = \(modelName)", logger: logger)
            // The artifact is checked last, under the model lock: if it is missing the whole
            // registration above rolls back and the number is not used.
            var digest: String?
            if let runID, !artifactPath.trimmingSlashes.isEmpty {
                guard let found = try await artifactDigest(runID: runID, path: artifactPath, on: connection) else {
                    throw RegistryError.notFound("run \(runID) has no artifact at '\(artifactPath)'; upload it before registering")
                }
                digest = found
                try await connection.query(
                    """
                    UPDATE registry_model_versions SET artifact_sha256 = \(found)
                    WHERE model_name = \(modelName) AND version = \(next)
                    """, logger: logger)
            }
            let event = ModelEvent(
                eventID: Self.newRunID(), eventTime: now, kind: .registered, modelName: modelName, modelVersion: next, fromStage: nil,
                toStage: .candidate, actor: actor, reason: "registered", runID: runID, artifactSHA256: digest)
            try await audit(
                connection, actor: actor, action: "model.register", subject: "model/\(modelName)/\(next)", reason: description,
                details: ["run_id": runID ?? "", "source": resolvedSource, "artifact_sha256": digest ?? ""])
            try await enqueue([event], on: connection)
            return (next, [event])
        }
        RegistryMetrics.versionRegistered()
        logger.info(
            "Model version registered",
            metadata: ["model": "\(modelName)", "version": "\(version)", "run": "\(runID ?? "")", "actor": "\(actor)"])
        await flushEvents(expected: pending.count)
        return try await requireVersion(modelName, version)
    }

    /// Locks the model's row for the rest of the transaction; a missing model is `RESOURCE_DOES_NOT_EXIST`.
    func lockModel(_ name: String, on connection: PostgresConnection) async throws {
        var found = false
        for try await _ in try await connection.query(
            "SELECT name FROM registry_models WHERE name = \(name) FOR UPDATE", logger: logger
        ).decode(String.self) {
            found = true
        }
        guard found else { throw RegistryError.notFound("Registered Model with name=\(name) not found") }
    }

    public func version(modelName: String, version: Int) async throws -> ModelVersion? {
        try await versions(modelName: modelName, stage: nil, only: version).first
    }

    public func requireVersion(_ modelName: String, _ version: Int) async throws -> ModelVersion {
        guard let found = try await self.version(modelName: modelName, version: version) else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
        return found
    }

    /// Versions of a model, newest first; `stage` nil = all stages.
    public func versions(modelName: String, stage: ModelStage? = nil) async throws -> [ModelVersion] {
        try await versions(modelName: modelName, stage: stage, only: nil)
    }

    /// The newest version in `stage` (e.g. the production version), if any.
    public func latestVersion(modelName: String, stage: ModelStage) async throws -> ModelVersion? {
        try await versions(modelName: modelName, stage: stage).first
    }

    /// Version numbers are Postgres integers from 1: any other number names no version, and is
    /// answered as such before it reaches a query (where it would be a database error).
    static func isStorableVersion(_ version: Int) -> Bool { (1...Int(Int32.max)).contains(version) }

    func versions(modelName: String, stage: ModelStage?, only: Int?) async throws -> [ModelVersion] {
        if let only, !Self.isStorableVersion(only) { return [] }
        var result: [ModelVersion] = []
        for try await row in try await client.query(
            """
            SELECT version, run_id, source, artifact_path, artifact_sha256, description, stage, created_by, created_at_ms, updated_at_ms
            FROM registry_model_versions
            WHERE model_name = \(modelName) AND (\(stage?.rawValue)::text IS NULL OR stage = \(stage?.rawValue))
              AND (\(only)::integer IS NULL OR version = \(only))
            ORDER BY version DESC
            """, logger: logger
        ).decode((Int, String?, String, String, String?, String, String, String, Int64, Int64).self) {
            let (version, runID, source, path, digest, description, stage, createdBy, created, updated) = row
            result.append(
                ModelVersion(
                    modelName: modelName, version: version, runID: runID, source: source, artifactPath: path, artifactSHA256: digest,
                    description: description, stage: ModelStage(rawValue: stage) ?? .candidate, createdBy: createdBy, createdAt: created,
                    updatedAt: updated, aliases: [], tags: [:]))
        }
        for index in result.indices {
            let version = result[index].version
            for try await alias in try await client.query(
                "SELECT alias FROM registry_model_aliases WHERE model_name = \(modelName) AND version = \(version) ORDER BY alias",
                logger: logger
            ).decode(String.self) {
                result[index].aliases.append(alias)
            }
            for try await (key, value) in try await client.query(
                "SELECT key, value FROM registry_model_version_tags WHERE model_name = \(modelName) AND version = \(version)",
                logger: logger
            ).decode((String, String).self) {
                result[index].tags[key] = value
            }
        }
        return result
    }

    /// The version, its run (with dataset fingerprint, feature versions, code version), and its stage history.
    public func lineage(modelName: String, version: Int) async throws -> ModelLineage {
        let found = try await requireVersion(modelName, version)
        let run = try await found.runID.asyncFlatMap { try await self.run(id: $0) }
        let experimentName = try await run.asyncFlatMap { try await self.experiment(id: $0.experimentID)?.name }
        return ModelLineage(
            version: found, run: run, experimentName: experimentName,
            transitions: try await transitions(modelName: modelName, version: version))
    }

    public func transitions(modelName: String, version: Int) async throws -> [StageTransition] {
        var result: [StageTransition] = []
        guard Self.isStorableVersion(version) else { return result }
        for try await (from, to, actor, reason, at) in try await client.query(
            """
            SELECT from_stage, to_stage, actor, reason, occurred_at_ms FROM registry_model_transitions
            WHERE model_name = \(modelName) AND version = \(version) ORDER BY id
            """, logger: logger
        ).decode((String?, String, String, String, Int64).self) {
            result.append(
                StageTransition(
                    modelName: modelName, version: version, fromStage: from.flatMap(ModelStage.init(rawValue:)),
                    toStage: ModelStage(rawValue: to) ?? .candidate, actor: actor, reason: reason, occurredAt: at))
        }
        return result
    }

    /// The bytes of a version's artifact (a single stored file), checked against the sha256
    /// recorded at registration: what a serving process loads.
    public func artifact(of version: ModelVersion) async throws -> [UInt8] {
        guard let runID = version.runID, !version.artifactPath.isEmpty else {
            throw RegistryError.notFound("\(version.modelName) version \(version.version) has no artifact stored in the registry")
        }
        // Every load is verified against the digest recorded at registration (not only the
        // stored row's own digest): a version whose artifact cannot be verified is not served.
        guard let recorded = version.artifactSHA256 else {
            throw RegistryError(
                .invalidState, "\(version.modelName) version \(version.version) has no recorded sha256; its artifact cannot be verified")
        }
        let bytes = try await artifact(runID: runID, path: version.artifactPath)
        if Self.sha256Hex(bytes) != recorded {
            throw RegistryError(
                .invalidState, "artifact of \(version.modelName) version \(version.version) changed since registration (sha256 \(recorded))"
            )
        }
        return bytes
    }

    static func validateModelName(_ name: String) throws {
        guard !name.isEmpty, name.unicodeScalars.count <= 256 else { throw RegistryError.invalid("model name must be 1 to 256 characters") }
        guard !name.contains("/") else { throw RegistryError.invalid("model name '\(name)' must not contain '/'") }
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
