import CablecarDomain
import CablecarForecasting
import CablecarImport
import CablecarLocalStack
import CablecarTestSupport
import Foundation

/// Ingest, the feature store and the trainer as processes on a database of their own and topics
/// under a prefix of their own, fed by `cablecar-sim import`: what `cablecar run
/// --import-readings` starts, on free ports.
struct ImportPlatform {
    let prefix = TestStack.uniqueName("import") + "."
    let brokers: String
    let database: String
    let city: URL
    let ingestPort: Int
    let featuresPort: Int
    let trainerPort: Int

    init(brokers: String, database: String, city: URL) throws {
        self.brokers = brokers
        self.database = database
        self.city = city
        ingestPort = try Network.freePort()
        featuresPort = try Network.freePort()
        trainerPort = try Network.freePort()
    }

    /// Runs the importer into the prefixed raw.loop and returns its counts.
    func importReadings(readings: URL, mapping: URL, work: URL) async throws -> ImportCounts {
        let summary = work.appendingPathComponent("summary.json")
        let (status, output) = try await APIProbes.run(
            try ProductBinary.url("cablecar-sim"),
            [
                "import", "--readings", readings.path, "--mapping", mapping.path, "--time-zone", "America/Los_Angeles",
                "--city-out", city.path, "--summary-out", summary.path, "--rejections-out",
                work.appendingPathComponent("rejections.csv").path, "--brokers", brokers, "--topic-prefix", prefix,
            ])
        guard status == 0 else { throw TestFailure("cablecar-sim import exited with \(status): \(output)") }
        return try JSONDecoder().decode(ImportCounts.self, from: Data(contentsOf: summary))
    }

    var environment: [String: String] {
        var environment = [
            "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": brokers, "CABLECAR_LOG_LEVEL": "warning",
            "CABLECAR_INGEST_CITY": city.path, "CABLECAR_FEATURES_CITY": city.path,
            "CABLECAR_TRAINER_TIME_ZONE": "America/Los_Angeles",
            "CABLECAR_TRAINER_FEATURES_URL": "http://127.0.0.1:\(featuresPort)",
        ]
        for service in ["INGEST", "FEATURES", "TRAINER"] {
            environment["CABLECAR_\(service)_TOPIC_PREFIX"] = prefix
            environment["CABLECAR_\(service)_GROUP"] = prefix + service.lowercased()
        }
        return environment
    }

    /// Starts `services` (name, port), each ready, or stops them all and throws.
    func start(_ services: [(String, Int)]) async throws -> [ServiceProcess] {
        var started: [ServiceProcess] = []
        for (name, port) in services {
            let (process, ready) = try await ServiceProcess.start(
                name, port: port, environment: environment.merging(["CABLECAR_HTTP_PORT": "\(port)"]) { $1 })
            started.append(process)
            guard ready?.status == 200 else {
                for process in started { process.process.terminate() }
                throw TestFailure("\(name) did not become ready: \(ready?.body ?? "no answer")")
            }
        }
        return started
    }

    struct Counts: Decodable {
        var received: Int
        var accepted: Int
        var rejected: Int
        var duplicate: Int
        var rejectedByReason: [String: Int]

        enum CodingKeys: String, CodingKey {
            case received, accepted, rejected, duplicate
            case rejectedByReason = "rejected_by_reason"
        }
    }

    private struct Accounting: Decodable { var total: Counts }

    /// Observations ingest has emitted, once unchanged for three polls (as `cablecar run` waits
    /// before it starts the feature store on imported data).
    func waitForEmission(timeout: Duration = .seconds(300)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var last = -1
        var unchanged = 0
        while ContinuousClock.now < deadline {
            let answer = try await HTTPProbe.get("http://127.0.0.1:\(ingestPort)/metrics", timeout: 30)
            let emitted = answer.body.split(separator: "\n").filter { $0.hasPrefix("cablecar_ingest_emitted_total") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            if Int(emitted) == last, last > 0 {
                unchanged += 1
                if unchanged >= 3 { return last }
            } else {
                last = Int(emitted)
                unchanged = 0
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw TestFailure("ingest did not finish emitting within \(timeout) (\(last) observations)")
    }
    private struct Lag: Decodable { var lag: Int64 }

    private func lag(_ port: Int) async -> Int64? {
        guard let answer = try? await HTTPProbe.get("http://127.0.0.1:\(port)/api/v1/stream", timeout: 30), answer.status == 200
        else { return nil }
        return try? JSONDecoder().decode(Lag.self, from: Data(answer.body.utf8)).lag
    }

    /// Ingest's accounting once it has received every message and has no lag.
    func waitForIngest(messages: Int, timeout: Duration = .seconds(300)) async throws -> Counts {
        let deadline = ContinuousClock.now + timeout
        var last: Counts?
        while ContinuousClock.now < deadline {
            let answer = try await HTTPProbe.get("http://127.0.0.1:\(ingestPort)/api/v1/accounting", timeout: 30)
            if answer.status == 200 {
                let counts = try JSONDecoder().decode(Accounting.self, from: Data(answer.body.utf8)).total
                last = counts
                if counts.received >= messages, await lag(ingestPort) == 0 { return counts }
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw TestFailure("ingest did not account for \(messages) messages within \(timeout): \(String(describing: last))")
    }

    private struct Catalog: Decodable {
        var lastStep: Int64?
        var steps: Int
        var consumedMessages: Int?

        enum CodingKeys: String, CodingKey {
            case lastStep = "last_step"
            case steps
            case consumedMessages = "consumed_messages"
        }
    }

    /// The materialized steps `[from, until)` once the feature store has no lag, stopped moving
    /// and materialized up to `reaching` (ingest emits as its watermark passes the data).
    func waitForFeatures(reaching: EpochMillis, timeout: Duration = .seconds(300)) async throws -> (EpochMillis, EpochMillis) {
        let deadline = ContinuousClock.now + timeout
        var previous = -1
        var steady = 0
        while ContinuousClock.now < deadline {
            let answer = try await HTTPProbe.get("http://127.0.0.1:\(featuresPort)/api/v1/features/catalog", timeout: 30)
            if answer.status == 200 {
                let catalog = try JSONDecoder().decode(Catalog.self, from: Data(answer.body.utf8))
                let consumed = catalog.consumedMessages ?? 0
                steady = consumed == previous && consumed > 0 ? steady + 1 : 0
                previous = consumed
                if steady >= 2, await lag(featuresPort) == 0, let last = catalog.lastStep, last >= reaching {
                    return (last - EpochMillis(max(catalog.steps - 1, 0)) * Interval.lengthMillis, last + Interval.lengthMillis)
                }
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw TestFailure("the feature store did not catch up within \(timeout) (consumed \(previous))")
    }

    struct Outcome: Decodable {
        var evaluation: EvaluationReport
        var verdict: GateVerdict
    }

    private struct Status: Decodable {
        var state: String
        var error: String?
        var outcome: Outcome?
    }

    /// Queues a training request and waits for its outcome.
    func train(from: EpochMillis, until: EpochMillis, targets: [String], timeout: Duration = .seconds(300)) async throws -> Outcome {
        let id = TestStack.uniqueName("import-train")
        let body = try JSONSerialization.data(withJSONObject: [
            "request_id": id, "start": from, "end": until, "targets": targets, "reason": "manual", "requested_by": "ImportLoopTests",
        ])
        let base = "http://127.0.0.1:\(trainerPort)/api/v1/train"
        let queued = try await HTTPProbe.post(base, json: String(decoding: body, as: UTF8.self))
        guard queued.status == 202 || queued.status == 200 else { throw TestFailure("training refused: \(queued.status) \(queued.body)") }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let answer = try await HTTPProbe.get("\(base)/\(id)", timeout: 30)
            if answer.status == 200, let status = try? JSONDecoder().decode(Status.self, from: Data(answer.body.utf8)) {
                if status.state == "failed" { throw TestFailure("training failed: \(status.error ?? answer.body)") }
                if status.state == "succeeded", let outcome = status.outcome { return outcome }
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw TestFailure("training did not finish within \(timeout)")
    }
}
