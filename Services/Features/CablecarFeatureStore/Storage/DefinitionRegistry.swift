import CablecarFeatures
import Crypto
import Foundation
import Logging
import PostgresNIO

public enum DefinitionRegistryError: Error, CustomStringConvertible, Equatable {
    case changedWithoutNewVersion(name: String, version: Int)

    public var description: String {
        switch self {
        case .changedWithoutNewVersion(let name, let version):
            "feature \(name) version \(version) is already registered with different content; a changed definition needs a new version (bump `version` in its declaration)"
        }
    }
}

/// Registers the feature definitions declared in code, refusing a changed definition that
/// kept its version (stored rows made with the old one would silently mean something else).
public enum DefinitionRegistry {
    static func canonicalJSON(_ definition: FeatureDefinition) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(definition), as: UTF8.self)
    }

    static func contentHash(_ json: String) -> String {
        SHA256.hash(data: Array(json.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func register(_ definitions: [FeatureDefinition], on client: PostgresClient, logger: Logger) async throws {
        do {
            try await registerLocked(definitions, on: client, logger: logger)
        } catch let error as PostgresTransactionError {
            // Surface the reason (a changed definition) rather than the transaction wrapper.
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    private static func registerLocked(_ definitions: [FeatureDefinition], on client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One registrar at a time: two instances starting together must not race the check.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('feature_definitions'))", logger: logger)
            for definition in definitions {
                let json = try canonicalJSON(definition)
                let hash = contentHash(json)
                let rows = try await connection.query(
                    "SELECT content_sha256 FROM feature_definitions WHERE name = \(definition.name) AND version = \(definition.version)",
                    logger: logger)
                var existing: String?
                for try await (stored) in rows.decode(String.self) { existing = stored }
                if let existing {
                    guard existing == hash else {
                        throw DefinitionRegistryError.changedWithoutNewVersion(name: definition.name, version: definition.version)
                    }
                    continue
                }
                try await connection.query(
                    """
                    INSERT INTO feature_definitions (name, version, entity, definition, content_sha256)
                    VALUES (\(definition.name), \(definition.version), \(definition.entity.rawValue), \(json)::jsonb, \(hash))
                    """, logger: logger)
                logger.info(
                    "Feature definition registered", metadata: ["feature": "\(definition.name)", "version": "\(definition.version)"])
            }
        }
    }

    /// Registered definitions with their registration time (the catalog).
    public static func registered(on client: PostgresClient, logger: Logger) async throws -> [(
        name: String, version: Int, registeredAt: Date
    )] {
        var result: [(String, Int, Date)] = []
        let rows = try await client.query(
            "SELECT name, version, registered_at FROM feature_definitions ORDER BY name, version", logger: logger)
        for try await (name, version, at) in rows.decode((String, Int32, Date).self) { result.append((name, Int(version), at)) }
        return result
    }
}
