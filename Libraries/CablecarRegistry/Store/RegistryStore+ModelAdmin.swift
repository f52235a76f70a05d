import CablecarDomain
import CablecarRegistryAPI
import PostgresNIO

/// Descriptions, tags and deletes of registered models and versions.
extension RegistryStore {
    public func updateDescription(modelName: String, description: String) async throws {
        let now = Self.now()
        try await transaction { connection in
            try await lockModel(modelName, on: connection)
            try await connection.query(
                "UPDATE registry_models SET description = \(description), updated_at_ms = \(now) WHERE name = \(modelName)", logger: logger)
        }
    }

    public func updateDescription(modelName: String, version: Int, description: String) async throws {
        let now = Self.now()
        try await transaction { connection in
            _ = try await stageOf(modelName, version, on: connection)
            try await connection.query(
                """
                UPDATE registry_model_versions SET description = \(description), updated_at_ms = \(now)
                WHERE model_name = \(modelName) AND version = \(version)
                """, logger: logger)
        }
    }

    /// Sets (value non-nil) or removes (nil) a tag of a model, or of one of its versions.
    public func setModelTag(modelName: String, version: Int? = nil, key: String, value: String?) async throws {
        if let value { try validateTag(key, value) }
        try await transaction { connection in
            try await lockModel(modelName, on: connection)
            switch (version, value) {
            case (nil, let value?):
                try await connection.query(
                    """
                    INSERT INTO registry_model_tags (model_name, key, value) VALUES (\(modelName), \(key), \(value))
                    ON CONFLICT (model_name, key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            case (nil, nil):
                try await connection.query(
                    "DELETE FROM registry_model_tags WHERE model_name = \(modelName) AND key = \(key)", logger: logger)
            case (let version?, let value?):
                _ = try await stageOf(modelName, version, on: connection)
                try await connection.query(
                    """
                    INSERT INTO registry_model_version_tags (model_name, version, key, value) VALUES (\(modelName), \(version), \(key), \(value))
                    ON CONFLICT (model_name, version, key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            case (let version?, nil):
                try await connection.query(
                    "DELETE FROM registry_model_version_tags WHERE model_name = \(modelName) AND version = \(version) AND key = \(key)",
                    logger: logger)
            }
        }
    }

    /// Deletes a version (its aliases, tags and transition rows go with it; audit_log keeps
    /// the record). A production version is refused: promote or roll back to another first.
    public func deleteModelVersion(modelName: String, version: Int, actor: String, reason: String) async throws {
        try Self.validateActor(actor)
        let pending = try await transaction { connection -> [ModelEvent] in
            try await lockModel(modelName, on: connection)
            let stage = try await stageOf(modelName, version, on: connection)
            guard stage != .production else {
                throw RegistryError(
                    .invalidState,
                    "version \(version) of \(modelName) is production; promote or roll back to another version before deleting it")
            }
            var runID: String?
            for try await run in try await connection.query(
                "DELETE FROM registry_model_versions WHERE model_name = \(modelName) AND version = \(version) RETURNING run_id",
                logger: logger
            ).decode(String?.self) {
                runID = run
            }
            try await audit(
                connection, actor: actor, action: "model.version.delete", subject: "model/\(modelName)/\(version)", reason: reason,
                details: ["stage": stage.rawValue, "run_id": runID ?? ""])
            let event = ModelEvent(
                eventID: Self.newRunID(), eventTime: Self.now(), kind: .deleted, modelName: modelName, modelVersion: version,
                fromStage: stage,
                toStage: stage, actor: actor, reason: reason, runID: runID, artifactSHA256: nil)
            try await enqueue([event], on: connection)
            return [event]
        }
        logger.notice("Model version deleted", metadata: ["model": "\(modelName)", "version": "\(version)", "actor": "\(actor)"])
        await flushEvents(expected: pending.count)
    }

    /// Deletes a registered model with all its versions; refused while one is production.
    public func deleteRegisteredModel(name: String, actor: String, reason: String) async throws {
        try Self.validateActor(actor)
        let pending = try await transaction { connection -> [ModelEvent] in
            try await lockModel(name, on: connection)
            var versions: [(Int, String, String?)] = []
            for try await row in try await connection.query(
                "SELECT version, stage, run_id FROM registry_model_versions WHERE model_name = \(name) ORDER BY version", logger: logger
            ).decode((Int, String, String?).self) {
                versions.append(row)
            }
            if let production = versions.first(where: { $0.1 == ModelStage.production.rawValue }) {
                throw RegistryError(
                    .invalidState, "\(name) has production version \(production.0); archive it (or delete the versions one by one) first")
            }
            try await connection.query("DELETE FROM registry_models WHERE name = \(name)", logger: logger)
            try await audit(
                connection, actor: actor, action: "model.delete", subject: "model/\(name)", reason: reason,
                details: ["versions": versions.map { String($0.0) }.joined(separator: ",")])
            let now = Self.now()
            let events = versions.map { version, stage, run in
                let stage = ModelStage(rawValue: stage) ?? .candidate
                return ModelEvent(
                    eventID: Self.newRunID(), eventTime: now, kind: .deleted, modelName: name, modelVersion: version, fromStage: stage,
                    toStage: stage, actor: actor, reason: reason, runID: run, artifactSHA256: nil)
            }
            try await enqueue(events, on: connection)
            return events
        }
        logger.notice("Registered model deleted", metadata: ["model": "\(name)", "actor": "\(actor)"])
        await flushEvents(expected: pending.count)
    }

    /// Renames a registered model (MLflow's registered-models/rename): its versions, tags,
    /// aliases and stage history follow in the same statement (migration 0017). An admin action:
    /// clients and the forecast service load models by name, so after a rename they load the new
    /// name or nothing; the audit log keeps both names.
    public func renameRegisteredModel(name: String, to newName: String, actor: String) async throws {
        try Self.validateActor(actor)
        try Self.validateModelName(newName)
        do {
            try await transaction { connection in
                try await lockModel(name, on: connection)
                try await connection.query(
                    "UPDATE registry_models SET name = \(newName), updated_at_ms = \(Self.now()) WHERE name = \(name)", logger: logger)
                try await audit(
                    connection, actor: actor, action: "model.rename", subject: "model/\(newName)", reason: "",
                    details: ["from": name, "to": newName])
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw RegistryError(.alreadyExists, "Registered Model (name=\(newName)) already exists.")
        } catch let error as PostgresTransactionError {
            if let closure = error.closureError as? PSQLError, closure.isUniqueViolation {
                throw RegistryError(.alreadyExists, "Registered Model (name=\(newName)) already exists.")
            }
            throw error
        }
        logger.notice("Registered model renamed", metadata: ["from": "\(name)", "to": "\(newName)", "actor": "\(actor)"])
    }
}
