import CablecarRegistryAPI
import PostgresNIO

extension RegistryStore {
    /// Runs a search's statements in one transaction where Postgres stops any statement after
    /// `limits.searchStatementTimeout` (SET LOCAL statement_timeout, so a client that went away
    /// or a killed server leaves nothing running for long) and without JIT compilation, which
    /// took seconds on statements with many conditions that then ran in milliseconds.
    func searching<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let milliseconds = max(1, Self.milliseconds(limits.searchStatementTimeout))
        do {
            return try await transaction { connection in
                for try await _ in try await connection.query(
                    "SELECT set_config('statement_timeout', \(String(milliseconds)), true), set_config('jit', 'off', true)",
                    logger: logger)
                {}
                return try await body(connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            throw RegistryError.invalid(
                "the search was stopped after \(Self.describe(limits.searchStatementTimeout)), the registry's limit for one search "
                    + "statement; narrow it (fewer or more selective clauses, fewer order_by keys, a smaller max_results) and retry")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func describe(_ duration: Duration) -> String {
        let milliseconds = milliseconds(duration)
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// `query` on `connection` if given, else on any pooled connection.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection?) async throws -> PostgresRowSequence {
        if let connection { return try await connection.query(query, logger: logger) }
        return try await client.query(query, logger: logger)
    }
}
