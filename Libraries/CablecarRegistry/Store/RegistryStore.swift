import CablecarDomain
import CablecarRegistryAPI
import Foundation
import Logging
import PostgresNIO

/// Experiment tracking and the model registry, over Postgres.
///
/// Every registry change (registration, stage transition, rollback, alias) happens in one
/// transaction that also writes its transition rows, its audit_log row and its `model.events`
/// outbox row; the events are published after the commit. Nothing half-done survives a failure.
public struct RegistryStore: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxArtifactBytes: Int
        public var maxKeyLength: Int
        public var maxParamValueLength: Int
        public var maxTagValueLength: Int
        /// How long Postgres may spend on any one statement of a run search before it stops it
        /// (statement_timeout, local to the search's transaction); the search then fails with
        /// a message saying so. Postgres enforces it, so it holds after the client went away.
        public var searchStatementTimeout: Duration

        public init(
            maxArtifactBytes: Int = 64 << 20, maxKeyLength: Int = 250, maxParamValueLength: Int = 6_000, maxTagValueLength: Int = 8_000,
            searchStatementTimeout: Duration = .seconds(15)
        ) {
            self.maxArtifactBytes = maxArtifactBytes
            self.maxKeyLength = maxKeyLength
            self.maxParamValueLength = maxParamValueLength
            self.maxTagValueLength = maxTagValueLength
            self.searchStatementTimeout = searchStatementTimeout
        }
    }

    public let client: PostgresClient
    public let events: (any ModelEventPublisher)?
    public let limits: Limits
    let logger: Logger
    /// Recorded on runs created here.
    let host: String

    public init(client: PostgresClient, events: (any ModelEventPublisher)?, limits: Limits = Limits(), logger: Logger) {
        self.client = client
        self.events = events
        self.limits = limits
        self.logger = logger
        self.host = ProcessInfo.processInfo.hostName
    }

    static func now() -> EpochMillis { EpochMillis((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// 32 lowercase hex digits, MLflow's run id form.
    static func newRunID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    package static func isRunID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A transaction whose errors come out as thrown (PostgresNIO wraps them).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    func validateKey(_ key: String, _ what: String) throws {
        guard !key.isEmpty, key.unicodeScalars.count <= limits.maxKeyLength else {
            throw RegistryError.invalid("\(what) key must be 1 to \(limits.maxKeyLength) characters, got \(key.unicodeScalars.count)")
        }
    }

    /// One audit_log row, in the caller's transaction.
    func audit(
        _ connection: PostgresConnection, actor: String, action: String, subject: String, reason: String, details: [String: String]
    ) async throws {
        let json = String(decoding: (try? JSONEncoder().encode(details)) ?? Data("{}".utf8), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO audit_log (actor, action, subject, reason, details)
            VALUES (\(actor), \(action), \(subject), \(reason), \(json)::jsonb)
            """, logger: logger)
    }
}

extension PSQLError {
    /// SQLSTATE 23505: a unique constraint refused the row.
    var isUniqueViolation: Bool { serverInfo?[.sqlState] == "23505" }
    var isForeignKeyViolation: Bool { serverInfo?[.sqlState] == "23503" }
}
