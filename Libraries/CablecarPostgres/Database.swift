import Logging
import PostgresNIO

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
}
