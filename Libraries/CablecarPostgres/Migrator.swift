import Foundation
import Logging
import PostgresNIO

/// Applies migrations at start-up. Every service runs it; an advisory lock makes concurrent
/// starts safe (one applies, the others wait and then find nothing to do).
public struct Migrator: Sendable {
    /// Arbitrary but fixed: every Cablecar process must use the same key.
    static let advisoryLockKey: Int64 = 0x00CA_B1EC_A400_0001

    public struct Report: Sendable, Equatable {
        public var applied: [Int]
        public var alreadyApplied: [Int]
    }

    public let migrations: [Migration]
    public let scope: MigrationScope
    let logger: Logger

    public init(migrations: [Migration], scope: MigrationScope = .everything, logger: Logger) {
        self.migrations = migrations
        self.scope = scope
        self.logger = logger
    }

    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> Report {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let report = try await migrateLocked(connection)
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return report
            } catch {
                _ = try? await connection.query(
                    "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> Report {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text NOT NULL
            )
            """, logger: logger)
        // Databases migrated before owners were recorded get the column; their rows get the
        // owners this build knows below.
        try await connection.query(
            "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS owner text NOT NULL DEFAULT 'shared'", logger: logger)
        var applied: [Int: (name: String, checksum: String, owner: String)] = [:]
        for try await (version, name, checksum, owner) in try await connection.query(
            "SELECT version, name, checksum, owner FROM schema_migrations", logger: logger
        ).decode((Int, String, String, String).self) {
            applied[version] = (name, checksum, owner)
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                guard scope.answers(forOwner: record.owner) else {
                    logger.info(
                        "The database has a newer migration of another service; leaving it alone",
                        metadata: ["version": "\(version)", "name": "\(record.name)", "owner": "\(record.owner)"])
                    continue
                }
                throw DatabaseError.unknownAppliedMigration(version: version, name: record.name)
            }
            if record.owner != migration.owner {
                try await connection.query(
                    "UPDATE schema_migrations SET owner = \(migration.owner) WHERE version = \(version)", logger: logger)
            }
            guard migration.checksum == record.checksum else {
                throw DatabaseError.migrationChanged(
                    version: version, name: migration.name, appliedChecksum: record.checksum,
                    fileChecksum: migration.checksum)
            }
        }
        var report = Report(applied: [], alreadyApplied: applied.keys.sorted())
        let host =
            ProcessInfo.processInfo.hostName + ":" + String(ProcessInfo.processInfo.processIdentifier)
        for migration in migrations where applied[migration.version] == nil && scope.applies(migration) {
            let statements = SQLStatementSplitter.split(migration.sql)
            try await unwrappingTransactionError {
                try await apply(migration, statements: statements, host: host, on: connection)
            }
            logger.info(
                "Applied migration",
                metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            report.applied.append(migration.version)
        }
        return report
    }

    private func apply(
        _ migration: Migration, statements: [String], host: String, on connection: PostgresConnection
    ) async throws {
        try await connection.withTransaction(logger: logger) { transaction in
            for (index, statement) in statements.enumerated() {
                do {
                    try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                } catch {
                    throw DatabaseError.migrationFailed(
                        version: migration.version, name: migration.name, statement: index + 1,
                        reason: String(reflecting: error))
                }
            }
            try await transaction.query(
                """
                INSERT INTO schema_migrations (version, name, checksum, applied_by, owner)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(host), \(migration.owner))
                """, logger: logger)
        }
    }

    /// PostgresNIO wraps errors thrown inside a transaction; callers want the migration's own error.
    private func unwrappingTransactionError(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? DatabaseError { throw inner }
            throw error
        }
    }
}
