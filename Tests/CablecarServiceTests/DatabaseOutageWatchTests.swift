import CablecarPostgres
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarService

@Suite("The database's outage watch, against a real Postgres")
struct DatabaseOutageWatchTests {
    @Test("a live database is up to the watch even while the service's pool has no connection to spare")
    func busyPoolIsNoOutage() async throws {
        var configuration = try DatabaseConfiguration(url: try await TestStack.shared.freshDatabaseURL())
        configuration.maximumConnections = 1
        let client = Database.client(configuration, logger: TestStack.logger)
        let watch = OutageWatch.database(configuration, logger: TestStack.logger)
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask {
                // Finished however it ends, so a connection that could not be had fails the
                // test below instead of leaving it waiting.
                defer { holding.finish() }
                try await client.withConnection { _ in
                    holding.yield()
                    for await _ in released { break }
                }
            }
            try await nextSignal(from: held, "the pool's one connection being held")
            // One answer slower than its limit is no outage (the watch needs `downAnswers` in a
            // row); on a fresh CI machine the whole suite starting at once on two cores once made
            // the first answer late. Asked up to three times, a live database answers; through the
            // held pool it never would.
            var answers: [DependencyAnswer] = []
            while answers.count < 3, answers.last != .up { answers.append(await watch.ask()) }
            #expect(answers.last == .up, "the watch asks on a connection of its own, not the pool's: \(answers)")
            release.yield()
            group.cancelAll()
        }
    }

    @Test("a database that refuses connections is down to the watch")
    func refusedConnectionIsDown() async throws {
        // Nothing listens on port 1.
        let configuration = DatabaseConfiguration(host: "127.0.0.1", port: 1, username: "cablecar", database: "cablecar")
        let watch = OutageWatch.database(configuration, logger: TestStack.logger)
        #expect(watch.downAnswers == 2, "two refused answers in a row are an outage")
        // The watch's 3 s are for a live server's answer; a refusal comes at once, but the whole
        // suite starting on two cores once made even that later than 3 s (silence, not down).
        let answer = await OutageWatch.databaseAnswer(configuration, within: .seconds(60), logger: TestStack.logger)
        #expect(answer == .down)
    }

    @Test("a database that answers with an error of its own (too many connections for the role) is up to the watch")
    func serverErrorIsAnAnswer() async throws {
        let url = try await TestStack.shared.freshDatabaseURL()
        let configuration = try DatabaseConfiguration(url: url)
        let client = Database.client(configuration, logger: TestStack.logger)
        let role = "watch_limited_\(UInt32.random(in: 0...UInt32.max))"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN CONNECTION LIMIT 0"), logger: TestStack.logger)
            group.cancelAll()
        }
        var limited = configuration
        limited.username = role
        let answer = await OutageWatch.databaseAnswer(limited, within: .seconds(60), logger: TestStack.logger)
        #expect(answer == .up, "the server refused the role, not the connection: it is up")
    }

    @Test("a database whose address never answers is silent to the watch, not down")
    func unansweredConnectIsSilent() async throws {
        // The connection is accepted (the kernel's backlog) and the server's greeting never comes.
        let listener = try SilentListener()
        let configuration = DatabaseConfiguration(host: "127.0.0.1", port: listener.port, username: "cablecar", database: "cablecar")
        let answer = await OutageWatch.databaseAnswer(configuration, within: .milliseconds(500), logger: TestStack.logger)
        #expect(answer == .silent)
    }
}
