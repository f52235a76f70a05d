import Foundation

/// The whole local stack without Docker: a throw-away Postgres cluster and a local broker,
/// recorded in `<home>/stack/stack.json` (and `stack.env` for shells) so that later commands,
/// services and tests find them.
public struct LocalStack: Sendable {
    public struct Endpoints: Codable, Sendable, Equatable {
        public var databaseURL: String
        public var kafkaBrokers: String
        public var postgresPort: Int
        public var brokerPort: Int
        public var brokerPID: Int32
    }

    public enum Status: Sendable, Equatable {
        case stopped
        case running(Endpoints)
        /// Some parts run, others do not; `reason` names which.
        case degraded(Endpoints, reason: String)
    }

    /// Default ports match the services' default configuration, so the local stack needs no config.
    public static let defaultPostgresPort = 55432
    public static let defaultBrokerPort = 19092

    public let home: URL

    public init(home: URL) { self.home = home }

    /// `CABLECAR_HOME`, else `.cablecar` in the current directory.
    public static func defaultHome() -> URL {
        if let home = ProcessInfo.processInfo.environment["CABLECAR_HOME"] { return URL(fileURLWithPath: home) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".cablecar")
    }

    var directory: URL { home.appendingPathComponent("stack") }
    var stateFile: URL { directory.appendingPathComponent("stack.json") }
    public var environmentFile: URL { directory.appendingPathComponent("stack.env") }

    func cluster(port: Int) -> PostgresCluster {
        PostgresCluster(directory: postgresDirectory, port: port)
    }

    /// Where the cluster lives: beside the stack's state, unless its server could not reach it
    /// there. Run as root, the server runs as the postgres user, which cannot pass through a
    /// private directory above the home (a checkout in `mktemp -d`, or in /root). The cluster
    /// then lives in the system's temporary directory, under a name derived from the home, so
    /// that every later command on this home (status, down) finds the same one.
    var postgresDirectory: URL {
        let beside = directory.appendingPathComponent("postgres")
        guard getuid() == 0, !Self.othersCanPass(through: home.deletingLastPathComponent()) else { return beside }
        return FileManager.default.temporaryDirectory.appendingPathComponent(
            "cablecar-postgres-\(Self.stableDigest(home.standardizedFileURL.path))")
    }

    /// True when every directory from `/` down to `url` lets other users pass (o+x).
    static func othersCanPass(through url: URL) -> Bool {
        var path = url.standardizedFileURL.path
        while true {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
            if path == "/" || path.isEmpty { return true }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    /// FNV-1a of `text`, in hex: the same on every run, unlike `hashValue`.
    static func stableDigest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Starts whatever is not running yet and waits until both answer. Idempotent.
    @discardableResult
    public func up(postgresPort: Int = defaultPostgresPort, brokerPort: Int = defaultBrokerPort) throws -> Endpoints {
        if case .running(let endpoints) = status() { return endpoints }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            // The cluster runs as the postgres user, which must be able to reach its directory.
            for path in [home.path, directory.path] { chmod(path, 0o755) }
        }
        let previous = readState()
        let postgres = cluster(port: previous?.postgresPort ?? postgresPort)
        try postgres.start()
        var brokerPID = previous?.brokerPID ?? 0
        let port = previous?.brokerPort ?? brokerPort
        if brokerPID == 0 || !ProcessRunner.isAlive(pid: brokerPID) || !Network.isListening(port: port) {
            let broker = TansuBroker(
                binary: try TansuBroker.locateBinary(home: home), port: port,
                logFile: directory.appendingPathComponent("broker.log"))
            brokerPID = try broker.start()
        }
        let endpoints = Endpoints(
            databaseURL: postgres.url, kafkaBrokers: "127.0.0.1:\(port)", postgresPort: postgres.port, brokerPort: port,
            brokerPID: brokerPID)
        try writeState(endpoints)
        return endpoints
    }

    /// Stops both and removes their data.
    public func down() throws {
        let state = readState()
        if let state, state.brokerPID > 0 { ProcessRunner.terminate(pid: state.brokerPID) }
        // Without a state file (a start that failed half-way) the cluster may still run: pg_ctl
        // stops it by its data directory, whatever port it was given.
        try cluster(port: state?.postgresPort ?? 0).destroy()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The running stack's database cluster: stop and start it to take the database away from
    /// the services and give it back, data kept (`cablecar chaos`).
    public func database() throws -> PostgresCluster {
        guard let state = readState() else { throw LocalStackError.notRunning("the local stack is not up: run `cablecar stack up`") }
        return cluster(port: state.postgresPort)
    }

    public func status() -> Status {
        guard let state = readState() else { return .stopped }
        let postgresUp = Network.isListening(port: state.postgresPort)
        let brokerUp = ProcessRunner.isAlive(pid: state.brokerPID) && Network.isListening(port: state.brokerPort)
        switch (postgresUp, brokerUp) {
        case (true, true): return .running(state)
        case (false, false): return .stopped
        case (true, false): return .degraded(state, reason: "the broker is not running")
        case (false, true): return .degraded(state, reason: "PostgreSQL is not running")
        }
    }

    func readState() -> Endpoints? {
        guard let data = try? Data(contentsOf: stateFile) else { return nil }
        return try? JSONDecoder().decode(Endpoints.self, from: data)
    }

    private func writeState(_ endpoints: Endpoints) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(endpoints).write(to: stateFile)
        let shell = """
            export CABLECAR_DATABASE_URL='\(endpoints.databaseURL)'
            export CABLECAR_KAFKA_BROKERS='\(endpoints.kafkaBrokers)'

            """
        try Data(shell.utf8).write(to: environmentFile)
    }
}
