import CablecarDomain
import CablecarRegistryAPI
import Foundation
import PostgresNIO

extension RegistryStore {
    /// Moves a version to `stage`. Promoting to production archives the previous production
    /// version in the same transaction. Each change is recorded (transition row, audit_log row)
    /// and published on `model.events`. Moving a version to the stage it is in changes nothing.
    @discardableResult
    public func transition(modelName: String, version: Int, to stage: ModelStage, actor: String, reason: String) async throws
        -> ModelVersion
    {
        try Self.validateActor(actor)
        let pending = try await transaction { connection in
            try await changeStage(
                modelName: modelName, version: version, to: stage, kind: .transitioned, actor: actor, reason: reason, on: connection)
        }
        report(pending)
        await flushEvents(expected: pending.count)
        return try await requireVersion(modelName, version)
    }

    /// Makes an earlier version production again in one call: the current production version
    /// becomes archived, the chosen one production. Refused when it already is production.
    @discardableResult
    public func rollback(modelName: String, to version: Int, actor: String, reason: String) async throws -> ModelVersion {
        try Self.validateActor(actor)
        let pending = try await transaction { connection -> [ModelEvent] in
            try await lockModel(modelName, on: connection)
            let current = try await stageOf(modelName, version, on: connection)
            guard current != .production else {
                throw RegistryError(.invalidState, "version \(version) of \(modelName) is already production; nothing to roll back to")
            }
            return try await changeStage(
                modelName: modelName, version: version, to: .production, kind: .rolledBack, actor: actor, reason: reason, on: connection)
        }
        report(pending)
        await flushEvents(expected: pending.count)
        return try await requireVersion(modelName, version)
    }

    /// Points `alias` at a version (moving it if it pointed elsewhere).
    public func setAlias(modelName: String, alias: String, version: Int, actor: String = "cablecar") async throws {
        try Self.validateAlias(alias)
        let pending = try await transaction { connection -> [ModelEvent] in
            try await lockModel(modelName, on: connection)
            let stage = try await stageOf(modelName, version, on: connection)
            try await connection.query(
                """
                INSERT INTO registry_model_aliases (model_name, alias, version) VALUES (\(modelName), \(alias), \(version))
                ON CONFLICT (model_name, alias) DO UPDATE SET version = EXCLUDED.version
                """, logger: logger)
            try await audit(
                connection, actor: actor, action: "model.alias.set", subject: "model/\(modelName)/\(version)", reason: "",
                details: ["alias": alias])
            let event = ModelEvent(
                eventID: Self.newRunID(), eventTime: Self.now(), kind: .aliasSet, modelName: modelName, modelVersion: version,
                fromStage: stage, toStage: stage, actor: actor, reason: "", runID: nil, artifactSHA256: nil, alias: alias)
            try await enqueue([event], on: connection)
            return [event]
        }
        await flushEvents(expected: pending.count)
    }

    public func deleteAlias(modelName: String, alias: String, actor: String = "cablecar") async throws {
        let pending = try await transaction { connection -> [ModelEvent] in
            try await lockModel(modelName, on: connection)
            var removed: Int?
            for try await version in try await connection.query(
                "DELETE FROM registry_model_aliases WHERE model_name = \(modelName) AND alias = \(alias) RETURNING version",
                logger: logger
            ).decode(Int.self) {
                removed = version
            }
            guard let removed else { throw RegistryError.notFound("Registered model alias \(alias) not found.") }
            let stage = try await stageOf(modelName, removed, on: connection)
            try await audit(
                connection, actor: actor, action: "model.alias.delete", subject: "model/\(modelName)/\(removed)", reason: "",
                details: ["alias": alias])
            let event = ModelEvent(
                eventID: Self.newRunID(), eventTime: Self.now(), kind: .aliasDeleted, modelName: modelName, modelVersion: removed,
                fromStage: stage, toStage: stage, actor: actor, reason: "", runID: nil, artifactSHA256: nil, alias: alias)
            try await enqueue([event], on: connection)
            return [event]
        }
        await flushEvents(expected: pending.count)
    }

    /// The version an alias points at.
    public func version(modelName: String, alias: String) async throws -> ModelVersion? {
        for try await version in try await client.query(
            "SELECT version FROM registry_model_aliases WHERE model_name = \(modelName) AND alias = \(alias)", logger: logger
        ).decode(Int.self) {
            return try await self.version(modelName: modelName, version: version)
        }
        return nil
    }

    func stageOf(_ modelName: String, _ version: Int, on connection: PostgresConnection) async throws -> ModelStage {
        guard Self.isStorableVersion(version) else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
        for try await stage in try await connection.query(
            "SELECT stage FROM registry_model_versions WHERE model_name = \(modelName) AND version = \(version)", logger: logger
        ).decode(String.self) {
            return ModelStage(rawValue: stage) ?? .candidate
        }
        throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
    }

    /// The stage change itself, in the caller's transaction; returns the events it enqueued.
    func changeStage(
        modelName: String, version: Int, to stage: ModelStage, kind: ModelEvent.Kind, actor: String, reason: String,
        on connection: PostgresConnection
    ) async throws -> [ModelEvent] {
        try await lockModel(modelName, on: connection)
        let from = try await stageOf(modelName, version, on: connection)
        if from == stage { return [] }
        let now = Self.now()
        var events: [ModelEvent] = []
        if stage == .production {
            var previous: [Int] = []
            for try await number in try await connection.query(
                """
                SELECT version FROM registry_model_versions
                WHERE model_name = \(modelName) AND stage = 'production' AND version <> \(version)
                """, logger: logger
            ).decode(Int.self) {
                previous.append(number)
            }
            let archiveReason = "replaced by version \(version): \(reason)"
            for number in previous {
                events.append(
                    try await record(
                        modelName: modelName, version: number, from: .production, to: .archived, kind: .transitioned, actor: actor,
                        reason: archiveReason, at: now, on: connection))
            }
        }
        events.append(
            try await record(
                modelName: modelName, version: version, from: from, to: stage, kind: kind, actor: actor, reason: reason, at: now,
                on: connection))
        try await enqueue(events, on: connection)
        return events
    }

    /// Metrics and a log line per committed stage change.
    func report(_ events: [ModelEvent]) {
        for event in events {
            RegistryMetrics.transitioned(to: event.toStage, kind: event.kind)
            logger.info(
                "Model version stage changed",
                metadata: [
                    "model": "\(event.modelName)", "version": "\(event.modelVersion)", "from": "\(event.fromStage?.rawValue ?? "-")",
                    "to": "\(event.toStage.rawValue)", "kind": "\(event.kind.rawValue)", "actor": "\(event.actor)",
                    "reason": "\(event.reason)",
                ])
        }
    }

    private func record(
        modelName: String, version: Int, from: ModelStage, to: ModelStage, kind: ModelEvent.Kind, actor: String, reason: String,
        at now: EpochMillis, on connection: PostgresConnection
    ) async throws -> ModelEvent {
        var runID: String?
        var digest: String?
        for try await (run, sha) in try await connection.query(
            """
            UPDATE registry_model_versions SET stage = \(to.rawValue), updated_at_ms = \(now)
            WHERE model_name = \(modelName) AND version = \(version) RETURNING run_id, artifact_sha256
            """, logger: logger
        ).decode((String?, String?).self) {
            runID = run
            digest = sha
        }
        try await connection.query(
            """
            INSERT INTO registry_model_transitions (model_name, version, from_stage, to_stage, actor, reason, occurred_at_ms)
            VALUES (\(modelName), \(version), \(from.rawValue), \(to.rawValue), \(actor), \(reason), \(now))
            """, logger: logger)
        let action = kind == .rolledBack ? "model.rollback" : "model.transition"
        try await audit(
            connection, actor: actor, action: action, subject: "model/\(modelName)/\(version)", reason: reason,
            details: ["from": from.rawValue, "to": to.rawValue])
        return ModelEvent(
            eventID: Self.newRunID(), eventTime: now, kind: kind, modelName: modelName, modelVersion: version, fromStage: from, toStage: to,
            actor: actor, reason: reason, runID: runID, artifactSHA256: digest)
    }

    static func validateActor(_ actor: String) throws {
        guard !actor.trimmingCharacters(in: .whitespaces).isEmpty, actor.unicodeScalars.count <= 200 else {
            throw RegistryError.invalid("actor must be 1 to 200 characters: say who makes the change")
        }
    }

    static func validateAlias(_ alias: String) throws {
        guard !alias.isEmpty, alias.unicodeScalars.count <= 256, alias.lowercased() != "latest" else {
            throw RegistryError.invalid("alias must be 1 to 256 characters and not 'latest'")
        }
        if alias.first == "v" || alias.first == "V", !alias.dropFirst().isEmpty, alias.dropFirst().allSatisfy(\.isNumber) {
            throw RegistryError.invalid("alias '\(alias)' looks like a version reference (v<number>); choose another name")
        }
    }
}
