import Foundation

/// A throw-away PostgreSQL cluster in a directory of its own, listening on 127.0.0.1 only,
/// with trust authentication: for local runs and tests, never for production.
public struct PostgresCluster: Sendable {
    public let directory: URL
    public let port: Int
    public let database: String

    public init(directory: URL, port: Int, database: String = "cablecar") {
        self.directory = directory
        self.port = port
        self.database = database
    }

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/\(database)" }
    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// Debian installs server binaries outside PATH, under /usr/lib/postgresql/<major>/bin.
    public static func binaries() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["CABLECAR_PG_BIN"] {
            return URL(fileURLWithPath: override)
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let majors = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        guard let newest = majors.compactMap(Int.init).max() else {
            throw LocalStackError.missingProgram(
                "PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/bootstrap "
                    + "(it installs Debian's postgresql) or set CABLECAR_PG_BIN to the directory holding initdb and pg_ctl")
        }
        return root.appendingPathComponent("\(newest)/bin")
    }

    /// The server refuses to run as root, so as root every command runs as the postgres user.
    private func command(_ program: String, _ arguments: [String]) throws -> [String] {
        let path = try Self.binaries().appendingPathComponent(program).path
        return getuid() == 0 ? ["runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments
    }

    /// How long pg_ctl waits for the server to accept connections. Generous: on a busy
    /// 2-core machine (a test run compiling and starting everything at once) a first start
    /// took over a minute.
    static let startWaitSeconds = 300

    public var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    /// Creates the cluster and its database if they do not exist, then starts the server and
    /// waits until it accepts connections.
    public func start() throws {
        let fresh = !isInitialized
        if fresh {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if getuid() == 0 { try ProcessRunner.run(["chown", "-R", "postgres:postgres", directory.path]) }
            try ProcessRunner.run(
                command("initdb", ["-D", dataDirectory.path, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]))
        }
        guard !isRunning else { return }
        // A throw-away cluster: no fsync, and WAL allowed to grow to 4 GB between checkpoints
        // (at the 1 GB default, replaying a few city-days forced a checkpoint every minute or so,
        // and where one fell made throughput figures swing by a quarter).
        let serverOptions =
            "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c max_wal_size=4GB"
        try ProcessRunner.run(
            command(
                "pg_ctl",
                ["-D", dataDirectory.path, "-l", logFile.path, "-o", serverOptions, "-w", "-t", "\(Self.startWaitSeconds)", "start"]))
        try Network.waitUntilListening(port: port, timeout: 30, what: "PostgreSQL")
        if fresh {
            try ProcessRunner.run(command("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", database]))
        }
    }

    /// Creates another database in this cluster (tests give each case its own).
    public func createDatabase(_ name: String) throws -> String {
        try ProcessRunner.run(command("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name]))
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    public var isRunning: Bool {
        guard isInitialized, let status = try? command("pg_ctl", ["-D", dataDirectory.path, "status"]) else { return false }
        return (try? ProcessRunner.run(status)) != nil
    }

    /// Fast shutdown: open transactions are rolled back, clients disconnected.
    public func stop() throws {
        guard isRunning else { return }
        try ProcessRunner.run(command("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"]))
    }

    /// Rows of `sql` from psql, unaligned, columns separated by "|" (for diagnostics such as
    /// `cablecar chaos`; services use PostgresNIO).
    public func query(_ sql: String) throws -> [String] {
        let output = try ProcessRunner.run(
            command("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-F", "|", "-c", sql]))
        return output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Stops the server and deletes the cluster.
    public func destroy() throws {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
