import CablecarForecasting
import CablecarLocalStack
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The loop's training step: starts cablecar-trainer, asks it to train on the replayed (or
/// imported) days (POST /api/v1/train), waits for the result (GET /api/v1/train/{id}) and prints the evaluation
/// per horizon and neighborhood against the baselines, the gates and the promotion decision.
struct TrainingStep {
    static let trainerPort = 8083
    static let featuresPort = FeatureStep.port

    let environment: [String: String]
    /// The replay's ground truth (its time range and the noise floor); nil for imported data,
    /// which trains on everything the feature store materialized and has no truth to compare.
    let groundTruth: URL?
    /// The steps the feature store has materialized, `[from, until)`, when known.
    let materializedFrom: Int64?
    let materializedUntil: Int64?
    /// Targets to train (`speed_kmh`, `flow_veh_h`); nil: the trainer's default, both.
    var targets: [String]?
    var timeout: Duration = .seconds(3600)

    /// What GET /api/v1/train/{id} returns, as far as the CLI reads it.
    struct Status: Decodable {
        struct Outcome: Decodable {
            var runID: String
            var modelName: String
            var modelVersion: Int
            var artifactSHA256: String
            var productionVersion: Int?
            var evaluation: EvaluationReport
            var verdict: GateVerdict
            var promoted: Bool
            var decision: String
            var trainingSeconds: Double

            enum CodingKeys: String, CodingKey {
                case runID = "run_id"
                case modelName = "model_name"
                case modelVersion = "model_version"
                case artifactSHA256 = "artifact_sha256"
                case productionVersion = "production_version"
                case evaluation, verdict, promoted, decision
                case trainingSeconds = "training_seconds"
            }
        }

        var state: String
        var error: String?
        var outcome: Outcome?
    }

    func startTrainer(children: ChildProcesses, waitUntilReady: (String, Int) async throws -> Void) async throws {
        try children.start(
            "cablecar-trainer",
            environment: environment.merging([
                "CABLECAR_HTTP_PORT": "\(Self.trainerPort)",
                "CABLECAR_TRAINER_FEATURES_URL": "http://127.0.0.1:\(Self.featuresPort)",
            ]) { $1 })
        try await waitUntilReady("cablecar-trainer", Self.trainerPort)
    }

    /// Asks the trainer to train on the replayed days, waits and prints the evaluation.
    @discardableResult
    func train() async throws -> Status.Outcome {
        let (start, end) = try trainingRange()
        let requestID = "loop-\(start)-\(end)-\(UUID().uuidString.prefix(8).lowercased())"
        var body: [String: Any] = [
            "request_id": requestID, "start": start, "end": end, "reason": "loop", "requested_by": "cablecar run",
        ]
        if let targets { body["targets"] = targets }
        let base = "http://127.0.0.1:\(Self.trainerPort)/api/v1/train"
        let (status, answer) = try await HTTPGet.post(base, json: try JSONSerialization.data(withJSONObject: body))
        guard status == 202 || status == 200 else {
            throw ValidationErrorText("the trainer refused the training request (\(status)): \(String(decoding: answer, as: UTF8.self))")
        }
        let trained = (targets ?? ["speed_kmh", "flow_veh_h"]).joined(separator: " and ")
        print("training request \(requestID) queued: \(Self.format(start)) – \(Self.format(end)), \(trained), horizons 15/30/60 min")
        let result = try await waitForResult(base + "/" + requestID)
        guard result.state == "succeeded", let outcome = result.outcome else {
            throw ValidationErrorText("training failed: \(result.error ?? "unknown reason"); see the cablecar-trainer log")
        }
        let report = outcome.evaluation
        print("test period: \(Self.format(report.testStart)) – \(Self.format(report.testEnd))")
        print(EvaluationTable.render(report, verdict: outcome.verdict))
        print(
            """
            model \(outcome.modelName) version \(outcome.modelVersion) (run \(outcome.runID), artifact sha256 \
            \(outcome.artifactSHA256.prefix(16))…), trained and evaluated in \(String(format: "%.1f", outcome.trainingSeconds)) s
            decision: \(outcome.decision)\(outcome.productionVersion.map { " (production was version \($0))" } ?? "")
            """)
        if let groundTruth { await reportNoiseFloor(outcome, groundTruth: groundTruth) }
        return outcome
    }

    /// The noise floor of the test period and the share of the reducible error each model
    /// removes, printed and recorded on the run (only a replay knows the truth).
    private func reportNoiseFloor(_ outcome: Status.Outcome, groundTruth: URL) async {
        let report = outcome.evaluation
        do {
            guard let featuresURL = URL(string: "http://127.0.0.1:\(Self.featuresPort)") else { return }
            let floor = try await NoiseFloor.measure(
                groundTruth: groundTruth, featuresURL: featuresURL, start: report.testStart, end: report.testEnd)
            print(floor.rendered(report))
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let metrics = floor.metrics(report).map { ["key": $0.0, "value": $0.1, "timestamp": now, "step": 0] as [String: Any] }
            let body = try JSONSerialization.data(withJSONObject: ["run_id": outcome.runID, "metrics": metrics])
            let (status, answer) = try await HTTPGet.post(
                "http://127.0.0.1:\(Self.trainerPort)/api/2.0/mlflow/runs/log-batch", json: body)
            if status != 200 {
                print("noise floor not recorded on run \(outcome.runID): \(status) \(String(decoding: answer, as: UTF8.self))")
            }
        } catch {
            print("noise floor not measured: \(error)")
        }
    }

    private func waitForResult(_ url: String) async throws -> Status {
        let deadline = ContinuousClock.now + timeout
        var lastState = ""
        while ContinuousClock.now < deadline {
            if let (code, data) = try? await HTTPGet.fetch(url), code == 200,
                let status = try? JSONDecoder().decode(Status.self, from: data)
            {
                if status.state == "succeeded" || status.state == "failed" { return status }
                if status.state != lastState {
                    print("training: \(status.state) ...")
                    lastState = status.state
                }
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw ValidationErrorText("training did not finish within \(timeout)")
    }

    /// The range to train on, `[start, end)`: what the store has materialized, within the
    /// replayed range when there was a replay (its first step has no history and its last steps
    /// are never closed, since nothing arrives after them).
    private func trainingRange() throws -> (Int64, Int64) {
        guard let groundTruth else {
            guard let from = materializedFrom, let until = materializedUntil, from < until else {
                throw ValidationErrorText(
                    "the feature store materialized no steps from the imported data; see the cablecar-ingest and cablecar-features logs")
            }
            return (from, until)
        }
        let (replayStart, replayEnd) = try replayedRange(groundTruth)
        return (max(replayStart, materializedFrom ?? replayStart), min(replayEnd, materializedUntil ?? replayEnd))
    }

    /// The replayed time range, from the ground-truth file the replay wrote: the first and last
    /// segment intervals (five-minute starts) it contains.
    private func replayedRange(_ groundTruth: URL) throws -> (Int64, Int64) {
        guard let handle = try? FileHandle(forReadingFrom: groundTruth) else {
            throw ValidationErrorText("no ground truth at \(groundTruth.path); the replay did not write it")
        }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 4096), as: UTF8.self)
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size > 1 << 20 ? size - (1 << 20) : 0)
        let tail = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let times = { (text: String) in
            text.split(separator: "\n").filter { $0.contains("\"type\":\"segment\"") }.compactMap { line -> Int64? in
                guard let range = line.range(of: "\"event_time\":") else { return nil }
                return Int64(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let first = times(head).min(), let last = times(tail).max() else {
            throw ValidationErrorText("the ground truth at \(groundTruth.path) has no segment rows")
        }
        return (first, last + 5 * 60_000)
    }

    private static func format(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(millis) / 1000))
    }
}
