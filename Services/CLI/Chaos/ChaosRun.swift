import CablecarLocalStack
import Foundation

/// A fault `cablecar chaos` injects, at a time after the replay started.
enum ChaosFault: CustomStringConvertible {
    /// kill -9 of a service, restarted at once.
    case crash(service: String, at: Duration)
    /// The database stopped (fast shutdown) and started again after `lasting`.
    case databaseOutage(at: Duration, lasting: Duration)

    var at: Duration {
        switch self {
        case .crash(_, let at), .databaseOutage(let at, _): at
        }
    }

    var description: String {
        switch self {
        case .crash(let service, let at): "kill -9 \(service) at \(Self.seconds(at)), restarted"
        case .databaseOutage(let at, let lasting): "Postgres stopped at \(Self.seconds(at)) for \(Self.seconds(lasting))"
        }
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.1f s", Double(duration / .milliseconds(1)) / 1000) }
}

/// One replay through ingest and the feature store on a stack of its own, with or without
/// faults, until both have caught up; then what it left behind.
struct ChaosRun {
    static let ingestPort = 8081
    static let idleSeconds = 5

    let label: String
    let home: URL
    let postgresPort: Int
    let brokerPort: Int
    let replay: [String]
    let faults: [ChaosFault]
    /// Leave the stack running afterwards, to look into a difference.
    var keepStack = false

    /// The digest and how long the replay took until both services had caught up.
    func run() async throws -> (ChaosDigest, Duration) {
        let stack = LocalStack(home: home)
        try stack.down()
        let endpoints = try stack.up(postgresPort: postgresPort, brokerPort: brokerPort)
        defer {
            if keepStack {
                print(
                    "[\(label)] stack kept: \(endpoints.databaseURL), \(endpoints.kafkaBrokers) (cablecar stack down --home \(home.path))")
            } else {
                try? stack.down()
            }
        }
        let children = ChildProcesses(logDirectory: home.appendingPathComponent("logs"))
        defer { children.stopAll() }
        // A partition silent for 5 s counts as idle (60 s by default): a replay of a day ends in
        // seconds, and its last intervals are emitted only once every silent partition is idle.
        let environment = [
            "CABLECAR_DATABASE_URL": endpoints.databaseURL, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
            "CABLECAR_INGEST_IDLE_PARTITION_S": "\(Self.idleSeconds)",
        ]
        let ingestEnvironment = environment.merging(["CABLECAR_HTTP_PORT": "\(Self.ingestPort)"]) { $1 }
        let featureEnvironment = environment.merging(["CABLECAR_HTTP_PORT": "\(FeatureStep.port)"]) { $1 }
        try children.start("cablecar-ingest", environment: ingestEnvironment)
        try await Self.waitUntilReady(port: Self.ingestPort, service: "cablecar-ingest")
        let features = try await FeatureStep.start(children: children, environment: environment)

        print("[\(label)] replaying: cablecar-sim \(replay.joined(separator: " "))")
        let started = ContinuousClock.now
        let database = try stack.database()
        let injector = Task {
            for fault in faults.sorted(by: { $0.at < $1.at }) {
                try await Task.sleep(until: started + fault.at, clock: .continuous)
                print("[\(label)] \(fault)")
                switch fault {
                case .crash(let service, _):
                    await children.crash(service)
                    try children.start(
                        service, environment: service == "cablecar-ingest" ? ingestEnvironment : featureEnvironment, appendingToLog: true)
                case .databaseOutage(_, let lasting):
                    try database.stop()
                    try await Task.sleep(for: lasting)
                    try database.start()
                }
            }
        }
        do {
            try await children.runInBackgroundToCompletion(
                "cablecar-sim", arguments: replay + ["--brokers", endpoints.kafkaBrokers], environment: environment)
            try await injector.value
            // A service restarted by the last fault may still be starting.
            try await Self.waitUntilReady(port: Self.ingestPort, service: "cablecar-ingest")
            try await Self.waitUntilReady(port: FeatureStep.port, service: "cablecar-features")
        } catch {
            injector.cancel()
            throw error
        }
        _ = try await IngestProgress(ingestPort: Self.ingestPort).waitUntilCaughtUp()
        _ = try await features.waitUntilCaughtUp()
        let took = ContinuousClock.now - started
        // The stream's tail: what ingest emits once its silent partitions count as idle.
        try await Task.sleep(for: .seconds(Self.idleSeconds * 3))
        _ = try await features.waitUntilCaughtUp()
        guard children.allRunning else {
            throw ValidationErrorText("[\(label)] a service exited on its own; see the logs in \(home.appendingPathComponent("logs").path)")
        }
        return (try await ChaosDigest.collect(database: database, ingestPort: Self.ingestPort, featuresPort: FeatureStep.port), took)
    }

    static func waitUntilReady(port: Int, service: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let status = try? await HTTPGet.fetch("http://127.0.0.1:\(port)/health/ready").status, status == 200 { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ValidationErrorText("\(service) did not become ready within 120 s")
    }
}
