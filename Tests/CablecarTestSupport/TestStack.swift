import CablecarLocalStack
import Foundation
import Logging

/// One throw-away Postgres cluster and broker per test process, started on first use on free
/// ports in a temporary directory, and stopped when the process exits.
///
/// Tests never skip when these cannot start: `endpoints()` throws, and the test fails with the
/// reason (usually: run scripts/bootstrap).
public actor TestStack {
    public static let shared = TestStack()

    /// The one start in flight or done. Actors are reentrant: without this, every test that
    /// arrived while the first start was suspended began a stack of its own, and on a fresh
    /// 2-core machine a dozen concurrent initdb runs pushed pg_ctl past its wait.
    private var starting: Task<LocalStack.Endpoints, any Error>?

    public func endpoints() async throws -> LocalStack.Endpoints {
        if let starting { return try await starting.value }
        let task = Task { try await Self.startStack() }
        starting = task
        do {
            return try await task.value
        } catch {
            // A failed start is not cached: the next test tries again and reports its own reason.
            starting = nil
            throw error
        }
    }

    private static func startStack() async throws -> LocalStack.Endpoints {
        let home = try temporaryDirectory(prefix: "cablecar-test-stack")
        let stack = LocalStack(home: home)
        setenv("CABLECAR_TANSU_BIN", try TansuBroker.locateBinary(home: repositoryRoot.appendingPathComponent(".cablecar")).path, 0)
        let postgresPort = try Network.freePort()
        let brokerPort = try Network.freePort()
        // Registered before starting, so a half-started stack is still stopped at exit.
        StackReaper.register(stack)
        // Starting servers blocks for seconds; keep that off the cooperative thread pool.
        return try await offThePool { try stack.up(postgresPort: postgresPort, brokerPort: brokerPort) }
    }

    /// A new, empty database in the test cluster, so tests do not see each other's tables.
    public func freshDatabaseURL() async throws -> String {
        let endpoints = try await endpoints()
        let cluster = PostgresCluster(directory: URL(fileURLWithPath: "/nonexistent"), port: endpoints.postgresPort)
        let name = Self.uniqueName("db").replacingOccurrences(of: "-", with: "_")
        return try await offThePool { try cluster.createDatabase(name) }
    }

    /// The checkout this test binary was built from: tests find the bootstrapped broker there.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func temporaryDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // The cluster runs as the postgres user when tests run as root; it must reach the path.
        chmod(url.path, 0o755)
        return url
    }

    /// A unique name per call, so parallel tests never share topics, groups or databases.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    public static let logger: Logger = {
        var logger = Logger(label: "cablecar.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["CABLECAR_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()
}

/// Stops test stacks when the test process exits, so no server outlives the run.
enum StackReaper {
    nonisolated(unsafe) private static var stacks: [LocalStack] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    static func register(_ stack: LocalStack) {
        lock.lock()
        defer { lock.unlock() }
        stacks.append(stack)
        if !installed {
            installed = true
            atexit { StackReaper.stopAll() }
        }
    }

    static func stopAll() {
        lock.lock()
        defer { lock.unlock() }
        for stack in stacks { try? stack.down() }
        stacks.removeAll()
    }
}

/// Runs blocking work (process spawning and waiting) on a thread of its own.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
