import CablecarLocalStack
import Foundation

/// A Postgres cluster of a test's own, for tests that stop and restart the database.
public final class DedicatedPostgres: Sendable {
    public let cluster: PostgresCluster

    /// Starts one: initdb and the server's start block for seconds, so off the cooperative pool.
    public static func launch() async throws -> DedicatedPostgres {
        try await offThePool { try DedicatedPostgres() }
    }

    private init() throws {
        let directory = try TestStack.temporaryDirectory(prefix: "cablecar-test-pg")
        cluster = PostgresCluster(directory: directory.appendingPathComponent("postgres"), port: try Network.freePort())
        try cluster.start()
    }

    deinit { try? cluster.destroy() }

    public var url: String { cluster.url }
}
