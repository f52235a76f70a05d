import CablecarKafka
import CablecarPostgres
import Logging
import PostgresNIO
import ServiceLifecycle

/// Applies migrations and creates topics, retrying with back-off while the database or broker
/// is not there yet (services may start before them), then opens the start-up gate.
struct StartupService: Service {
    let context: RuntimeContext
    let topics: [TopicSpecification]
    let migrations: MigrationScope
    let readiness: StartupReadiness

    func run() async throws {
        let logger = context.logger
        let bundled = try Migration.bundled()
        try await retrying("apply database migrations", logger: logger) {
            let report = try await Migrator(migrations: bundled, scope: self.migrations, logger: logger).migrate(context.database)
            logger.info("Database schema is current", metadata: ["applied": "\(report.applied)"])
        }
        try await retrying("create Kafka topics", logger: logger) {
            try await context.admin.ensureTopics(topics, timeout: .seconds(10))
        }
        readiness.markReady()
        context.startup.open()
        logger.info("Start-up complete", metadata: ["service": "\(context.serviceName)"])
        try? await gracefulShutdown()
    }

    private func retrying(_ what: String, logger: Logger, _ body: () async throws -> Void) async throws {
        var delay = Duration.milliseconds(500)
        while true {
            do {
                return try await body()
            } catch let error as DatabaseError {
                // A changed or unknown migration will not fix itself: stop instead of retrying.
                logger.critical("Cannot \(what)", metadata: ["error": "\(error)"])
                throw error
            } catch {
                logger.warning("Cannot \(what) yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
