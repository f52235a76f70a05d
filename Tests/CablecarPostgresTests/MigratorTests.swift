import CablecarPostgres
import CablecarTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("Migrations against a real Postgres")
struct MigratorTests {
    /// Runs `body` with a client of a fresh database, running the client around it.
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

    func testMigrations(in directory: URL, counterInsert: String = "INSERT INTO counter VALUES (1);") throws -> [Migration] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "CREATE TABLE counter (n int NOT NULL);".write(
            to: directory.appendingPathComponent("0001_counter.sql"), atomically: true, encoding: .utf8)
        // Applied twice, this would leave two rows: the assertion that it ran exactly once.
        try counterInsert.write(to: directory.appendingPathComponent("0002_count.sql"), atomically: true, encoding: .utf8)
        try "SELECT pg_sleep(0.5); CREATE TABLE slow (x int);".write(
            to: directory.appendingPathComponent("0003_slow.sql"), atomically: true, encoding: .utf8)
        return try Migration.load(directory: directory)
    }

    @Test("two migrators started at once apply each migration exactly once")
    func concurrentMigrators() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let directory = try TestStack.temporaryDirectory(prefix: "migrations")
        let migrations = try testMigrations(in: directory)
        async let first = withClient(url: url) { try await Migrator(migrations: migrations, logger: TestStack.logger).migrate($0) }
        async let second = withClient(url: url) { try await Migrator(migrations: migrations, logger: TestStack.logger).migrate($0) }
        let reports = try await [first, second]
        #expect(reports.map(\.applied.count).sorted() == [0, 3], "one migrator applies all, the other none")
        let (rows, recorded) = try await withClient(url: url) { client in
            let rows = try await client.query("SELECT count(*) FROM counter").decode(Int.self).reduce(0) { $0 + $1 }
            let recorded = try await client.query("SELECT count(*) FROM schema_migrations").decode(Int.self).reduce(0) { $0 + $1 }
            return (rows, recorded)
        }
        #expect(rows == 1)
        #expect(recorded == 3)
    }

    @Test("an applied migration whose file changed is reported, not skipped")
    func tamperedMigration() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let directory = try TestStack.temporaryDirectory(prefix: "migrations")
        let original = try testMigrations(in: directory)
        try await withClient(url: url) { try await Migrator(migrations: original, logger: TestStack.logger).migrate($0) }
        let tampered = try testMigrations(in: directory, counterInsert: "INSERT INTO counter VALUES (2);")
        let error = try await withClient(url: url) { client in
            await #expect(throws: DatabaseError.self) { try await Migrator(migrations: tampered, logger: TestStack.logger).migrate(client) }
        }
        guard case .migrationChanged(let version, _, _, _) = error else {
            Issue.record("expected migrationChanged, got \(String(describing: error))")
            return
        }
        #expect(version == 2)
        #expect(String(describing: error!).contains("new migration"))
    }

    @Test("a failing migration rolls back and is not recorded")
    func failingMigrationRollsBack() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let broken = [Migration(version: 1, name: "broken", sql: "CREATE TABLE half (x int); SELECT no_such_function();")]
        let error = try await withClient(url: url) { client in
            await #expect(throws: DatabaseError.self) { try await Migrator(migrations: broken, logger: TestStack.logger).migrate(client) }
        }
        #expect(String(describing: error!).contains("statement 2"))
        let tables = try await withClient(url: url) { client in
            try await client.query("SELECT count(*) FROM pg_tables WHERE tablename = 'half'").decode(Int.self).reduce(0) { $0 + $1 }
        }
        #expect(tables == 0)
    }

    @Test("the bundled schema applies cleanly, and the audit log refuses updates")
    func bundledSchema() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let migrations = try Migration.bundled()
        #expect(!migrations.isEmpty)
        let report = try await withClient(url: url) { try await Migrator(migrations: migrations, logger: TestStack.logger).migrate($0) }
        #expect(report.applied == migrations.map(\.version))
        try await withClient(url: url) { client in
            try await client.query("INSERT INTO audit_log (actor, action, subject) VALUES ('test', 'check', 'schema')")
            await #expect(throws: (any Error).self) { try await client.query("UPDATE audit_log SET actor = 'someone else'") }
        }
    }
}
