import ArgumentParser
import CablecarDomain
import CablecarSimulation
import Foundation

/// `cablecar-sim replay`: simulate days of the city and publish its feeds.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Simulate N days and publish the raw.* feeds in publish-time order, with ground truth.")

    @Option(help: "Days to simulate.")
    var days = 1

    @Option(help: "First local day, YYYY-MM-DD.")
    var start = "2025-03-03"

    @Option(help: "Random seed; the same seed, city and scenario give byte-identical output.")
    var seed: UInt64 = 1

    @Option(help: "Simulated seconds per wall-clock second, or 'max'.")
    var speed = "max"

    @Option(help: "Scenario JSON file (format: docs/scenarios.md).")
    var scenario: String?

    @Option(help: "City definition JSON (default: the bundled SF-like city).")
    var city: String?

    @Option(help: "Fault preset: none, light or heavy.")
    var faults = "none"

    @Option(
        name: .customLong("fault"),
        help:
            "Override one fault rate, KIND=RATE (e.g. duplicate=0.01). Repeatable. Kinds: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))."
    )
    var faultRates: [String] = []

    @Option(help: "Write ground truth (segment truth per 5 minutes and the fault log) to this JSON-lines file.")
    var groundTruth: String?

    @OptionGroup var output: OutputOptions

    @Option(help: "Loop detector reporting interval, seconds (must divide 300).")
    var loopInterval = 60

    @Option(help: "Camera counting interval, seconds (must divide 300).")
    var cameraInterval = 60

    @Option(help: "Transit GPS reporting interval, seconds (must divide 60).")
    var gpsInterval = 30

    @Option(help: "Close lanes: NEIGHBORHOODS:FROM_DAY:LANES, e.g. mission:2:1. Repeatable.")
    var construction: [String] = []

    @Option(help: "Scale demand: NEIGHBORHOODS:FROM_DAY:MULTIPLIER, e.g. soma,mission-bay:1:1.3. Repeatable.")
    var demandShift: [String] = []

    @Option(help: "Open a venue: NEIGHBORHOOD:FROM_DAY:CAPACITY, e.g. bayview:3:20000. Repeatable.")
    var newVenue: [String] = []

    @Option(help: "Bias a sensor kind: KIND.MEASURE:FROM_DAY:FACTOR[:NEIGHBORHOODS], e.g. loop.speed:2:0.85. Repeatable.")
    var recalibrate: [String] = []

    @Flag(help: "No progress bar.")
    var quiet = false

    @Flag(help: "Print the scenario the file and flags resolve to (JSON, checked against the city) and exit without replaying.")
    var printScenario = false

    func validate() throws {
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
        guard LocalDate(start) != nil else { throw ValidationError("--start must be YYYY-MM-DD, got \(start)") }
        guard ReplayPace(speed) != nil else { throw ValidationError("--speed must be a positive number or 'max', got \(speed)") }
        guard FaultConfiguration.preset(named: faults) != nil else {
            throw ValidationError(
                "--faults must be one of \(FaultConfiguration.presets.map(\.name).joined(separator: ", ")), got \(faults)")
        }
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        if printScenario {
            try configuration.scenario.validate(against: configuration.city)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(configuration.scenario), as: UTF8.self))
            return
        }
        let sink = try await makeSink(output)
        let truthWriter = try groundTruth.map { try GroundTruthWriter(url: URL(fileURLWithPath: $0)) }
        let bar = quiet ? nil : ProgressBar(days: days)
        var progress: SimulationReplay.ProgressHandler?
        if let bar {
            progress = { fraction, records in bar.update(fraction: fraction, records: records) }
        }
        let started = ContinuousClock.now
        let summary = try await SimulationReplay.run(
            configuration, into: sink, groundTruth: truthWriter, pace: ReplayPace(speed) ?? .unlimited, progress: progress)
        bar?.finish()
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.inSeconds
        var lines = [
            "cablecar-sim: replayed \(days) day(s) from \(start), seed \(seed), scenario \(configuration.scenario.name), in \(String(format: "%.1f", seconds)) s"
        ]
        lines += summary.lines
        if let resent = (sink as? KafkaFeedSink)?.resentSummary { lines.append(resent) }
        if let groundTruth { lines.append("ground truth written to \(groundTruth)") }
        lines.append("records written to \(output.destinationDescription)")
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    func makeConfiguration() throws -> SimulationConfiguration {
        var scenario = try scenario.map { try Scenario.load(from: URL(fileURLWithPath: $0)) } ?? .baseline
        let flagged =
            try construction.map(ScenarioFlags.construction) + demandShift.map(ScenarioFlags.demandShift)
            + newVenue.map(ScenarioFlags.newVenue) + recalibrate.map(ScenarioFlags.recalibration)
        if !flagged.isEmpty {
            scenario.changes += flagged
            if self.scenario == nil { scenario.name = "flags" }
        }
        var faultConfiguration = FaultConfiguration.preset(named: faults) ?? .none
        for text in faultRates {
            let parts = text.split(separator: "=").map(String.init)
            guard parts.count == 2, let kind = FaultKind(rawValue: parts[0]), let rate = Double(parts[1]), (0...1).contains(rate) else {
                throw ValidationError(
                    "--fault \(text): expected KIND=RATE with a rate in 0...1; kinds: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            faultConfiguration.setRate(kind, rate)
        }
        guard let date = LocalDate(start) else { throw ValidationError("--start must be YYYY-MM-DD") }
        return SimulationConfiguration(
            city: try loadCity(city), start: date, days: days, seed: seed, scenario: scenario, faults: faultConfiguration,
            rates: FeedRates(loopIntervalSeconds: loopInterval, cameraIntervalSeconds: cameraInterval, gpsIntervalSeconds: gpsInterval))
    }
}
