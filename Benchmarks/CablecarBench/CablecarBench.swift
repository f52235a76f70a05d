import ArgumentParser
import CablecarSimulation

/// `cablecar-bench`: prints performance figures. Targets live here, not in timed tests.
@main
struct CablecarBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cablecar-bench",
        abstract: "Measure Cablecar's components and print the figures.",
        subcommands: [KafkaBench.self, DriftBench.self, SimulationBench.self, IngestBench.self, FeaturesBench.self]
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

struct SimulationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulation", abstract: "Simulated city-days generated per minute.")
    @Option var days = 3

    func run() async throws {
        try SimulationBenchmark.run(days: days)
    }
}
