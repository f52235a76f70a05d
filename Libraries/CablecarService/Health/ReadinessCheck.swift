import CablecarKafka
import CablecarPostgres
import Logging
import PostgresNIO
import Synchronization

/// Something a service needs before it can do useful work (the database, the broker, its own
/// start-up). `/health/ready` answers 200 only when every check passes.
public protocol ReadinessCheck: Sendable {
    var name: String { get }
    func isReady() async -> Bool
}

public struct DatabaseReadiness: ReadinessCheck {
    public let name = "database"
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func isReady() async -> Bool { await Database.ping(client, logger: logger) }
}

public struct BrokerReadiness: ReadinessCheck {
    public let name = "broker"
    let admin: KafkaAdmin

    public init(admin: KafkaAdmin) { self.admin = admin }

    public func isReady() async -> Bool { await admin.ping(timeout: .seconds(2)) }
}

/// A readiness flag the service flips itself, e.g. once migrations ran and topics exist.
public final class StartupReadiness: ReadinessCheck, Sendable {
    public let name = "startup"
    private let done = Mutex(false)

    public init() {}

    public func markReady() { done.withLock { $0 = true } }
    public func isReady() async -> Bool { done.withLock { $0 } }
}

/// The service's own readiness checks, added while it builds its routes and workers; ready when
/// every added check is (and when none was added).
public final class ServiceReadiness: ReadinessCheck, Sendable {
    public let name = "service"
    private let checks = Mutex<[any ReadinessCheck]>([])

    public init() {}

    public func add(_ check: any ReadinessCheck) { checks.withLock { $0.append(check) } }

    public func isReady() async -> Bool {
        let current = checks.withLock { $0 }
        for check in current where await !check.isReady() { return false }
        return true
    }
}
