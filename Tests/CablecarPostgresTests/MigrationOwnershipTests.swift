import CablecarPostgres
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("Migrations owned by the service that needs them")
struct MigrationOwnershipTests {
    func withClient<T: Sendable>(url: String, _ body: @Sendable @escaping (PostgresClient) async throws -> T) async throws -> T {
        let client = Database.client(try DatabaseConfiguration(url: url), logger: TestStack.logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// A migration a newer build of the feature store would bring.
    let newerFeatures = Migration(
        version: 9_001, name: "features_from_the_future",
        sql: "-- Newer feature store.\n-- owner: features\nCREATE TABLE features_future (x int);")

    @Test("owners come from the file's header, from the legacy table for the first ten, else shared")
    func owners() throws {
        let bundled = try Migration.bundled()
        let owners = Dictionary(uniqueKeysWithValues: bundled.map { ($0.version, $0.owner) })
        #expect(owners[1] == "shared")
        #expect(owners[2] == "ingest")
        #expect(owners[4] == "features")
        #expect(owners[5] == "registry")
        #expect(owners[6] == "trainer")
        #expect(newerFeatures.owner == "features")
        #expect(Migration(version: 9_002, name: "x", sql: "CREATE TABLE x (y int);").owner == "shared")
        #expect(
            Migration(version: 9_003, name: "x", sql: "CREATE TABLE x (y int); -- owner: ingest").owner == "shared",
            "only the leading comment block declares an owner")
    }

    @Test("ingest restarts after a newer feature store migrated the database; a newer ingest migration stops it")
    func independentDeploys() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let bundled = try Migration.bundled()
        let ingest = MigrationScope(owns: ["ingest"])
        let features = MigrationScope(owns: ["features"])
        try await withClient(url: url) { client in
            // The older build state: ingest and the feature store as shipped.
            let first = try await Migrator(migrations: bundled, scope: ingest, logger: TestStack.logger).migrate(client)
            #expect(Set(first.applied) == Set(bundled.filter { ["ingest", "shared"].contains($0.owner) }.map(\.version)))
            try await Migrator(migrations: bundled, scope: features, logger: TestStack.logger).migrate(client)
            // A newer feature store is deployed and migrates its tables.
            let newer = try await Migrator(migrations: bundled + [newerFeatures], scope: features, logger: TestStack.logger)
                .migrate(client)
            #expect(newer.applied == [9_001])
            // The older ingest restarts: it does not know 9001, which is not its own: fine.
            let restart = try await Migrator(migrations: bundled, scope: ingest, logger: TestStack.logger).migrate(client)
            #expect(restart.applied.isEmpty)
            // An older feature store build restarting on its newer tables is refused, with the reason.
            await #expect(throws: DatabaseError.self) {
                try await Migrator(migrations: bundled, scope: features, logger: TestStack.logger).migrate(client)
            }
            var owner: [String] = []
            for try await value in try await client.query("SELECT owner FROM schema_migrations WHERE version = 9001").decode(String.self) {
                owner.append(value)
            }
            #expect(owner == ["features"])
        }
    }

    @Test("a database migrated before owners were recorded gets them on the next start")
    func ownersBackfilled() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let bundled = try Migration.bundled()
        try await withClient(url: url) { client in
            try await Migrator(migrations: bundled, logger: TestStack.logger).migrate(client)
            try await client.query("UPDATE schema_migrations SET owner = 'shared'")
            try await Migrator(migrations: bundled, scope: MigrationScope(owns: ["ingest"]), logger: TestStack.logger).migrate(client)
            var rows: [Int: String] = [:]
            for try await (version, owner) in try await client.query(
                "SELECT version, owner FROM schema_migrations WHERE version IN (2, 4, 5)"
            ).decode((Int, String).self) {
                rows[version] = owner
            }
            #expect(rows == [2: "ingest", 4: "features", 5: "registry"])
        }
    }
}
