import Logging
import PostgresNIO
import Synchronization

/// Opens the metadata database: a pooled PostgresNIO client. The client must be run (it is a
/// ServiceLifecycle `Service`) for queries to proceed.
public enum Database {
    public static func client(_ configuration: DatabaseConfiguration, logger: Logger) -> PostgresClient {
        PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
    }

    /// True when the database answers `SELECT 1` within `timeout`.
    public static func ping(_ client: PostgresClient, timeout: Duration = .seconds(2), logger: Logger) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await client.query("SELECT 1", logger: logger)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Opens a connection of its own (not the pool's), asks `SELECT 1` and closes it; throws what
    /// failed. No pool queue stands between: a server that is down refuses at once, and a pool
    /// that is busy, or waiting on a lease it lost in an outage, cannot make a live server look
    /// down. The caller bounds the query (the connect is bounded by `connectTimeout`).
    public static func askOnOwnConnection(
        _ configuration: DatabaseConfiguration, connectTimeout: Duration, logger: Logger
    ) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try configuration.connectionConfiguration(connectTimeout: connectTimeout),
            id: ownConnectionIDs.add(1, ordering: .relaxed).newValue, logger: logger)
        do {
            try await connection.query("SELECT 1", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    private static let ownConnectionIDs = Atomic<Int>(0)
}
