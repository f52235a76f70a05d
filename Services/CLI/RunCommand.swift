import ArgumentParser
import CablecarLocalStack
import Foundation

/// `cablecar run`: the main job on local defaults. Brings the local stack up and runs the whole
/// loop (see `LoopRunner`).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Run the whole loop locally: replay, ingest, features, training, promotion, serving, monitoring, drift, retraining, swap.",
        discussion: """
            The first --days are replayed at full speed and train the first model (eight days from a Monday give a \
            test period of one whole weekday, like the weekdays served after it, with every day of the week in \
            training or validation). Then --drift-days more are replayed at --pace simulated seconds per second while forecasts are \
            served and monitored, with a drift in one neighborhood from their first day (--drift).

            With --import-readings and --import-mapping the loop runs on real detector history instead (docs/import.md): \
            `cablecar-sim import` publishes the readings to raw.loop in place of the replay, ingest, the feature store \
            and the trainer use the city it generates, the trainer trains on everything materialized (flow only when \
            the data has no speed) and the run stops after the evaluation and the gates (--days, --drift-days, \
            --pace, --drift, --start, --seed and --scenario do not apply).
            """
    )

    @Option(help: "Simulated days the first model is trained on.") var days = 8
    @Option(help: "Simulated days replayed afterwards while serving and monitoring (0: stop after training).") var driftDays = 2
    @Option(help: "Simulated seconds per wall-clock second while serving and monitoring.") var pace = 720
    @Option(
        help:
            "Drift during the serving days: mission-construction (a lane closed in the Mission, some drivers avoid it), soma-demand (30 % more demand in SoMa) or none."
    )
    var drift = "mission-construction"
    @Option(help: "First simulated day, YYYY-MM-DD.") var start = "2025-03-03"
    @Option(help: "Random seed of the simulated city.") var seed = 42
    @Option(help: "Scenario file for the first days (see docs/scenarios.md).") var scenario: String?
    @Flag(help: "Stop the local stack when done.") var stopStack = false
    @Flag(help: "Keep the data of a running stack instead of starting from an empty one.") var reuseStack = false
    @Option(help: "Real detector readings CSV to run the loop on instead of the simulator (docs/import.md).")
    var importReadings: String?
    @Option(help: "Detector mapping CSV of --import-readings.") var importMapping: String?
    @Option(help: "IANA time zone of the imported detectors (calendar features and the historical average's slots).")
    var importTimeZone = "UTC"
    @Option(help: "Name of the city generated from --import-mapping.") var importCityName = "Imported detectors"
    @Flag(help: "Print the simulator options the chosen --drift passes to cablecar-sim replay, one per line, and exit.")
    var printSimulatorArguments = false

    func validate() throws {
        guard (1...60).contains(days) else { throw ValidationError("--days must be 1 to 60") }
        guard (0...14).contains(driftDays) else { throw ValidationError("--drift-days must be 0 to 14") }
        guard (1...86_400).contains(pace) else { throw ValidationError("--pace must be 1 to 86400") }
        guard (importReadings == nil) == (importMapping == nil) else {
            throw ValidationError("--import-readings and --import-mapping go together: give both or neither")
        }
        guard TimeZone(identifier: importTimeZone) != nil else {
            throw ValidationError("--import-time-zone must be an IANA time zone identifier such as America/Los_Angeles")
        }
        guard Self.driftArguments[drift] != nil else {
            throw ValidationError("--drift must be one of \(Self.driftArguments.keys.sorted().joined(separator: ", "))")
        }
    }

    /// The simulator options of each drift, applied from the first serving day.
    static let driftArguments: [String: [String]] = [
        "mission-construction": ["--construction", "mission:0:1", "--demand-shift", "mission:0:0.92"],
        "soma-demand": ["--demand-shift", "soma:0:1.3"],
        "none": [],
    ]

    func run() async throws {
        if printSimulatorArguments {
            for argument in Self.driftArguments[drift] ?? [] { print(argument) }
            return
        }
        let stack = LocalStack(home: LocalStack.defaultHome())
        // The local broker keeps its log in memory: after a broker restart, offsets start again
        // at 0 while Postgres still remembers the old ones. A fresh stack keeps the two in step.
        if !reuseStack { try stack.down() }
        let endpoints = try stack.up()
        print("stack: postgres \(endpoints.databaseURL), broker \(endpoints.kafkaBrokers)")
        var runner = LoopRunner(
            endpoints: endpoints, days: days, driftDays: driftDays, seed: seed, scenario: scenario,
            driftArguments: Self.driftArguments[drift] ?? [], pace: pace, startDate: start)
        if let importReadings, let importMapping {
            runner.imported = ImportStep(
                readings: importReadings, mapping: importMapping, timeZone: importTimeZone, cityName: importCityName,
                directory: runner.home.appendingPathComponent("import"))
        }
        try await runner.run()
        if stopStack { try stack.down() }
    }
}
