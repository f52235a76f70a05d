import CablecarKafka
import CablecarLocalStack
import Foundation
import Logging

/// Runs the loop on the local stack: the services as child processes, a simulated replay into
/// the raw topics, then waits until ingest has accounted for every raw record and prints the
/// report. Children are stopped (SIGTERM, graceful) on the way out, also on failure.
struct LoopRunner {
    let endpoints: LocalStack.Endpoints
    let days: Int
    let seed: Int
    let scenario: String?

    static let ingestPort = 8081

    func run() async throws {
        let children = ChildProcesses(logDirectory: LocalStack.defaultHome().appendingPathComponent("logs"))
        defer { children.stopAll() }
        let environment = [
            "CABLECAR_DATABASE_URL": endpoints.databaseURL, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
        ]
        try children.start("cablecar-ingest", environment: environment.merging(["CABLECAR_HTTP_PORT": "\(Self.ingestPort)"]) { $1 })
        try await waitUntilReady(service: "cablecar-ingest", port: Self.ingestPort, children: children)
        let features = try await FeatureStep.start(children: children, environment: environment, brokers: endpoints.kafkaBrokers)

        var replay = ["replay", "--brokers", endpoints.kafkaBrokers, "--days", "\(days)", "--seed", "\(seed)", "--speed", "max",
                      "--faults", "light", "--ground-truth", LocalStack.defaultHome().appendingPathComponent("ground-truth.jsonl").path]
        if let scenario { replay += ["--scenario", scenario] }
        print("replaying \(days) simulated day(s) of the city into the raw topics ...")
        try children.runToCompletion("cablecar-sim", arguments: replay, environment: environment)

        print("waiting for ingest to account for every raw record ...")
        let report = try await IngestProgress(brokers: endpoints.kafkaBrokers, ingestPort: Self.ingestPort).waitUntilCaughtUp()
        print(report)
        print("waiting for the feature store to catch up with obs.* ...")
        let caughtUp = try await features.waitUntilCaughtUp()
        print(caughtUp.summary)

        try await TrainingStep(
            environment: environment, groundTruth: LocalStack.defaultHome().appendingPathComponent("ground-truth.jsonl"),
            materializedFrom: caughtUp.firstStep, materializedUntil: caughtUp.lastStep.map { $0 + 5 * 60_000 }
        ).run(children: children) { try await waitUntilReady(service: $0, port: $1, children: children) }
    }

    func waitUntilReady(service: String, port: Int, children: ChildProcesses) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let status = try? await HTTPGet.fetch("http://127.0.0.1:\(port)/health/ready").status, status == 200 { return }
            guard children.allRunning else {
                throw ValidationErrorText("\(service) exited during start-up; see \(children.logDirectory.path)/\(service).log")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ValidationErrorText("\(service) did not become ready within 120 s; see \(children.logDirectory.path)/\(service).log")
    }
}

struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
