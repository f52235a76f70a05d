import ArgumentParser
import CablecarSimulation
import Foundation

/// `cablecar-bench`: prints performance figures. Targets live here, not in timed tests.
@main
struct CablecarBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cablecar-bench",
        abstract: "Measure Cablecar's components and print the figures.",
        subcommands: [
            KafkaBench.self, DriftBench.self, MonitorDriftBench.self, MonitorBench.self, SimulationBench.self, IngestBench.self,
            RegistryBench.self,
            RunSearchBench.self,
            FeaturesBench.self,
            TrainBench.self, ServingBench.self, ServingHostCommand.self,
        ]
    )
}

struct DriftBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drift", abstract: "Drift statistics and CLI on generated data.")
    @Option var rows = 1_000_000
    @Option var features = 20
    @Option var groups = 10
    @Option var reference: String?
    @Option var current: String?

    func run() async throws {
        try await DriftBenchmark.run(rows: rows, features: features, groups: groups, referencePath: reference, currentPath: current)
    }
}

struct MonitorDriftBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor-drift",
        abstract: "The monitor's drift workload: references once, then days x neighborhoods x features windows.")
    @Option var days = 30
    @Option var neighborhoods = 12
    @Option var features = 30
    @Option(help: "Reference rows per neighborhood (the trainer keeps at most 20,000).") var referenceRows = 20_000
    @Option(help: "Served rows per neighborhood and window.") var windowRows = 2_880

    func run() async throws {
        try MonitorDriftBenchmark.run(
            days: days, neighborhoods: neighborhoods, features: features, referenceRows: referenceRows, windowRows: windowRows)
    }
}

struct SimulationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulation", abstract: "Simulated city-days generated per minute.")
    @Option var days = 3

    func run() async throws {
        try SimulationBenchmark.run(days: days)
    }
}

struct TrainBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Training time on simulated days of the whole city; ridge fits against scikit-learn.")
    @Option(help: "Simulated days.") var days = 30
    @Option(help: "Minutes between training instants.") var stepMinutes = 5
    @Option(help: "Where the design matrices are exported.") var output = ".cablecar/bench-train"
    @Option(help: "Python with numpy and scikit-learn (scripts/bench-train passes one); without it the comparison is skipped.")
    var python: String?

    func run() async throws {
        try await TrainBenchmark(
            days: days, stepMinutes: stepMinutes, output: URL(fileURLWithPath: output), python: python
        ).run()
    }
}
