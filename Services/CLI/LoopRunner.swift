import CablecarDomain
import CablecarLocalStack
import Foundation
import Logging

/// Runs the whole loop on the local stack, with the services as child processes:
///
/// 1. Baseline: `days` simulated days replayed at full speed; ingest and the feature store catch
///    up; the trainer trains, evaluates and (gates permitting) promotes version 1.
/// 2. Serving and drift: cablecar-forecast and cablecar-monitor serve and watch while
///    `driftDays` more days are replayed at `pace` (simulated seconds per second), with a drift in
///    one neighborhood from their first day (by default: a lane closed on every multi-lane segment
///    of the Mission). A request generator asks for forecasts throughout; the monitor scores them,
///    raises an alert, the trainer retrains on it, the gates judge the candidate, serving swaps.
/// 3. Report: serving, monitoring per neighborhood, alerts and model versions, on the terminal and
///    as an HTML file.
///
/// With `imported` (real detector history, `ImportStep`), `cablecar-sim import` feeds phase 1 in
/// place of the replay, the services see the imported city, and the loop stops after training
/// and evaluation (there is no simulator to drift).
///
/// Children are stopped (SIGTERM, graceful) on the way out, also on failure.
struct LoopRunner {
    let endpoints: LocalStack.Endpoints
    let days: Int
    let driftDays: Int
    let seed: Int
    let scenario: String?
    let driftArguments: [String]
    let pace: Int
    let startDate: String
    var imported: ImportStep?

    static let ingestPort = 8081
    static let forecastPort = 8084
    static let monitorPort = 8085

    var home: URL { LocalStack.defaultHome() }

    func run() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let children = ChildProcesses(logDirectory: home.appendingPathComponent("logs"))
        defer { children.stopAll() }
        let environment = [
            "CABLECAR_DATABASE_URL": endpoints.databaseURL, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
        ]
        if let imported {
            try await trainOnImport(imported, children: children, environment: environment, started: started)
            return
        }
        let features = try await startIngestAndFeatures(children: children, environment: environment)

        // Phase 1: the history the first model learns from.
        let baselineTruth = home.appendingPathComponent("ground-truth.jsonl")
        var replay = replayArguments(days: days, start: startDate, groundTruth: baselineTruth) + ["--speed", "max"]
        if let scenario { replay += ["--scenario", scenario] }
        progress(started, "replaying \(days) simulated day(s) of the city from \(startDate) into the raw topics ...")
        try children.runToCompletion("cablecar-sim", arguments: replay, environment: environment)
        let caughtUp = try await waitForIngestAndFeatures(features, started: started)

        let training = TrainingStep(
            environment: environment, groundTruth: baselineTruth,
            materializedFrom: caughtUp.firstStep, materializedUntil: caughtUp.lastStep.map { $0 + 5 * 60_000 })
        try await training.startTrainer(children: children) { try await waitUntilReady(service: $0, port: $1, children: children) }
        let first = try await training.train()
        guard driftDays > 0 else { return }
        guard first.promoted else {
            print("no version was promoted, so there is nothing to serve: the loop stops here (see the gates above)")
            return
        }

        // Phase 2: serve, monitor, drift, retrain, swap.
        try children.start(
            "cablecar-monitor",
            environment: environment.merging([
                "CABLECAR_HTTP_PORT": "\(Self.monitorPort)",
                "CABLECAR_MONITOR_FEATURES_URL": "http://127.0.0.1:\(FeatureStep.port)",
            ]) { $1 })
        try children.start(
            "cablecar-forecast",
            environment: environment.merging([
                "CABLECAR_HTTP_PORT": "\(Self.forecastPort)",
                "CABLECAR_FORECAST_FEATURES_URL": "http://127.0.0.1:\(FeatureStep.port)",
                "CABLECAR_FORECAST_CLOCK": "features",
                // The cache lives in wall time; at `pace` a five-minute step lasts 300 s / pace,
                // and a vector kept longer than that is steps behind the replay (features_stale).
                "CABLECAR_FORECAST_FEATURE_CACHE_MS": "\(Self.featureCacheMillis(pace: pace))",
            ]) { $1 })
        try await waitUntilReady(service: "cablecar-monitor", port: Self.monitorPort, children: children)
        try await waitUntilReady(service: "cablecar-forecast", port: Self.forecastPort, children: children)

        let driftStart = Self.day(after: startDate, plus: days)
        let driftTruth = home.appendingPathComponent("ground-truth-drift.jsonl")
        let driftReplay =
            replayArguments(days: driftDays, start: driftStart, groundTruth: driftTruth)
            + ["--speed", "\(pace)", "--quiet"] + driftArguments
        progress(
            started,
            "serving and monitoring: replaying \(driftDays) more day(s) from \(driftStart) at \(pace)× with "
                + (driftArguments.isEmpty ? "no drift" : driftArguments.joined(separator: " ")) + "; forecasts requested throughout")
        let load = ServingLoad(forecastPort: Self.forecastPort, featuresPort: FeatureStep.port, segments: try Self.citySegments())
        let generator = Task { await load.run() }
        let watcher = LoopWatcher(
            monitorPort: Self.monitorPort, trainerPort: TrainingStep.trainerPort, started: started, driftStarted: clock.now, pace: pace,
            driftNeighborhood: Self.driftNeighborhood(driftArguments))
        let watching = Task { await watcher.run() }
        do {
            try await children.runInBackgroundToCompletion("cablecar-sim", arguments: driftReplay, environment: environment)
            progress(started, "drift replay done; letting ingest, features and the monitor catch up ...")
            _ = try await IngestProgress(ingestPort: Self.ingestPort).waitUntilCaughtUp()
            _ = try await features.waitUntilCaughtUp()
            try await Task.sleep(for: .seconds(5))
        } catch {
            generator.cancel()
            watching.cancel()
            throw error
        }
        generator.cancel()
        let summary = await generator.value
        watching.cancel()
        let events = await watching.value
        print(summary.rendered)
        print(events.rendered)
        let servedFrom = try DriftReportCommand.time(driftStart, name: "the drift start")
        try await ClosingReport(
            monitorPort: Self.monitorPort, trainerPort: TrainingStep.trainerPort, home: home,
            served: servedFrom..<(servedFrom + EpochMillis(driftDays) * 86_400_000)
        ).write()
        progress(started, "loop finished")
    }

    /// Starts ingest and the feature store and waits until both are ready.
    func startIngestAndFeatures(children: ChildProcesses, environment: [String: String]) async throws -> FeatureStep {
        try children.start("cablecar-ingest", environment: environment.merging(["CABLECAR_HTTP_PORT": "\(Self.ingestPort)"]) { $1 })
        try await waitUntilReady(service: "cablecar-ingest", port: Self.ingestPort, children: children)
        return try await FeatureStep.start(children: children, environment: environment)
    }

    /// Waits until ingest has accounted for every raw record and the feature store has caught
    /// up (to the step `reaching`, when given), printing ingest's accounting and the store's summary.
    func waitForIngestAndFeatures(
        _ features: FeatureStep, started: ContinuousClock.Instant, reaching: Int64? = nil
    ) async throws -> FeatureStep.CaughtUp {
        progress(started, "waiting for ingest to account for every raw record ...")
        print(try await IngestProgress(ingestPort: Self.ingestPort).waitUntilCaughtUp())
        progress(started, "waiting for the feature store to catch up with obs.* ...")
        let caughtUp = try await features.waitUntilCaughtUp(reaching: reaching)
        print(caughtUp.summary)
        return caughtUp
    }

    func replayArguments(days: Int, start: String, groundTruth: URL) -> [String] {
        [
            "replay", "--brokers", endpoints.kafkaBrokers, "--days", "\(days)", "--start", start, "--seed", "\(seed)",
            "--faults", "light", "--ground-truth", groundTruth.path,
        ]
    }

    func progress(_ started: ContinuousClock.Instant, _ message: String) {
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print(String(format: "[%6.1f s] ", seconds) + message)
    }

    func waitUntilReady(service: String, port: Int, children: ChildProcesses) async throws {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if let status = try? await HTTPGet.fetch("http://127.0.0.1:\(port)/health/ready").status, status == 200 { return }
            guard children.allRunning else {
                throw ValidationErrorText("\(service) exited during start-up; see \(children.logDirectory.path)/\(service).log")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ValidationErrorText("\(service) did not become ready within 180 s; see \(children.logDirectory.path)/\(service).log")
    }

    /// The local day `days` after `start` (YYYY-MM-DD), in UTC calendar arithmetic.
    /// Half a five-minute step of the replay, in wall-clock milliseconds.
    /// The neighborhood a drift's simulator options change (`--construction mission:0:1`).
    static func driftNeighborhood(_ arguments: [String]) -> String? {
        zip(arguments, arguments.dropFirst()).first { ["--construction", "--demand-shift"].contains($0.0) }
            .flatMap { $0.1.split(separator: ":").first.map(String.init) }
    }

    static func featureCacheMillis(pace: Int) -> Int { 300_000 / max(pace, 1) / 2 }

    static func day(after start: String, plus days: Int) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        guard let date = formatter.date(from: start) else { return start }
        return formatter.string(from: date.addingTimeInterval(TimeInterval(days) * 86_400))
    }

    /// The bundled city's segment ids, which the request generator asks for.
    static func citySegments() throws -> [String] {
        let path = "Simulators/CablecarSimulation/Resources/city.json"
        guard let data = FileManager.default.contents(atPath: path),
            let city = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let segments = city["segments"] as? [[String: Any]]
        else { throw ValidationErrorText("cannot read the city's segments from \(path) (run from the repository root)") }
        return segments.compactMap { $0["id"] as? String }
    }
}

struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
