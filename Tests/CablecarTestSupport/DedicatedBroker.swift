import CablecarLocalStack
import Foundation
import Synchronization

/// A broker of a test's own, for tests that stop and restart it. The local broker keeps its
/// topics in memory: a restart comes back with none, and their offsets start again at 0.
public final class DedicatedBroker: Sendable {
    public let broker: TansuBroker
    private let pid = Mutex<Int32?>(nil)

    /// Starts one: the broker's start waits for its port, so off the cooperative pool.
    public static func launch() async throws -> DedicatedBroker {
        try await offThePool { try DedicatedBroker() }
    }

    private init() throws {
        let directory = try TestStack.temporaryDirectory(prefix: "cablecar-test-broker")
        let binary =
            try ProcessInfo.processInfo.environment["CABLECAR_TANSU_BIN"].map { URL(fileURLWithPath: $0) }
            ?? TansuBroker.locateBinary(home: TestStack.repositoryRoot.appendingPathComponent(".cablecar"))
        broker = TansuBroker(binary: binary, port: try Network.freePort(), logFile: directory.appendingPathComponent("broker.log"))
        try start()
    }

    deinit { stop() }

    public var brokers: String { broker.brokers }

    public func start() throws {
        let started = try broker.start()
        pid.withLock { $0 = started }
    }

    /// The running broker's process, for tests that signal it (SIGSTOP: a hung broker).
    public var processID: Int32? { pid.withLock { $0 } }

    /// Kills the broker with SIGKILL, as a crash would: no chance to close a connection.
    public func kill() {
        guard let running = pid.withLock({ $0.take() }) else { return }
        ProcessRunner.killAbruptly(pid: running)
    }

    /// Stops the broker (SIGTERM, then SIGKILL after a grace period).
    public func stop() {
        guard let running = pid.withLock({ $0.take() }) else { return }
        ProcessRunner.terminate(pid: running)
    }
}
