import CablecarPostgres
import Foundation
import Logging
import PostgresNIO

/// A database of a benchmark's own on the stack's cluster, so repeated runs never see each
/// other's state.
struct BenchDatabase: Sendable {
    /// Eight hex digits, also used to name the run's topics and consumer groups.
    let suffix: String
    let name: String
    /// On the server's maintenance database (CHECKPOINT, DROP).
    let admin: PostgresClient
    /// On the new database, not yet migrated.
    let client: PostgresClient

    /// Creates `<prefix>_<suffix>`, runs `body` with clients running, and drops the database
    /// afterwards when `drop` (a million ingested records leave several hundred MB).
    static func withOwn<T: Sendable>(
        prefix: String, serverURL: String, drop: Bool, logger: Logger, _ body: (BenchDatabase) async throws -> T
    ) async throws -> T {
        let suffix = String(UUID().uuidString.prefix(8).lowercased())
        let server = try DatabaseConfiguration(url: serverURL)
        var own = server
        own.database = "\(prefix)_\(suffix)"
        let database = BenchDatabase(
            suffix: suffix, name: own.database, admin: Database.client(server, logger: logger), client: Database.client(own, logger: logger)
        )
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await database.admin.run()
                return nil
            }
            group.addTask {
                await database.client.run()
                return nil
            }
            defer { group.cancelAll() }
            // An identifier cannot be a bind parameter; this one is built from hex digits only.
            try await database.admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database.name)"), logger: logger)
            let result = try await body(database)
            if drop {
                try await database.admin.query(
                    PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database.name) WITH (FORCE)"), logger: logger)
            }
            return result
        }
    }
}
