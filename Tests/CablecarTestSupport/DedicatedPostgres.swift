import CablecarLocalStack
import Foundation

/// A Postgres cluster of a test's own, for tests that stop and restart the database.
public final class DedicatedPostgres: Sendable {
    public let cluster: PostgresCluster

    public init() throws {
        let directory = try TestStack.temporaryDirectory(prefix: "cablecar-test-pg")
        cluster = PostgresCluster(directory: directory.appendingPathComponent("postgres"), port: try Network.freePort())
        try cluster.start()
    }

    deinit { try? cluster.destroy() }

    public var url: String { cluster.url }
}
