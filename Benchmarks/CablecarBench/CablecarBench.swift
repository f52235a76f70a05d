import ArgumentParser
import CablecarForecasting
import CablecarNumerics
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
            TrainBench.self, RetrainDriftBench.self, ForecastQualityBench.self, ServingBench.self, ServingHostCommand.self,
        ]
    )

    /// Chooses OpenBLAS's kernels before the command runs (`BLASKernel`), as the trainer does, so
    /// fit times measure what the trainer does on this machine.
    static func main() async {
        BLASKernel.selectForThisCPU()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
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

struct RetrainDriftBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain-drift",
        abstract: "Retraining after a lane closure in one neighborhood: gate verdicts and the neighborhood's errors.")
    @Option(help: "Ordinary days before the drift.") var days = 7
    @Option(help: "Neighborhood with the lane closure.") var neighborhood = "mission"
    @Option(help: "Hours into the drift at which retraining is asked for, comma-separated.") var hoursAfter = "6,12,24"
    @Option(help: "Standard deviation of the speed measurement noise, km/h.") var speedNoise = 0.96
    @Option(help: "Standard deviation of the flow measurement noise, vehicles/h.") var flowNoise = 60.0
    @Option(help: "Random seed of the simulated city.") var seed: UInt64 = 42
    @Option(help: "Read the observations from this feature store (after `cablecar run`) instead of simulating them.")
    var features: String?
    @Flag(help: "Print the share of rows each feature has a value in before the drift.") var presence = false
    @Option(help: "Also print each candidate's errors by local hour of the target time in this neighborhood.")
    var hourly: String?

    func run() async throws {
        try await RetrainAfterDrift(
            days: days, featuresURL: features.flatMap(URL.init(string:)), neighborhood: neighborhood,
            hoursAfter: hoursAfter.split(separator: ",").compactMap { Int($0) },
            speedNoise: speedNoise, flowNoise: flowNoise, seed: seed, printPresence: presence, hourlyNeighborhood: hourly
        ).run()
    }
}

struct ForecastQualityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast-quality",
        abstract:
            "The trainer's recipe on simulated days with sensor noise: test errors against both baselines and the noise floor, by hour and on jams."
    )
    @Option(help: "Simulated days (the test period is the last whole days).") var days = 14
    @Option(help: "First simulated day, YYYY-MM-DD.") var start = "2025-03-03"
    @Option(help: "Standard deviation of the speed measurement noise, km/h.") var speedNoise = 0.96
    @Option(help: "Standard deviation of the flow measurement noise, vehicles/h.") var flowNoise = 60.0
    @Option(help: "Random seed of the simulated city.") var seed: UInt64 = 42
    @Option(help: "Forks of the true state per issue time for the best possible forecast (0: skip it).") var oracleForks = 0
    @Option(help: "Minutes between the best possible forecast's issue times.") var oracleEvery = 15
    @Flag(help: "The best possible forecast without the day's demand mood per neighborhood (each fork draws its own).")
    var oracleWithoutMood = false
    @Option(
        help:
            "Instead: the ridge on --days days, then at most this many boosted trees on its residuals of the next 3 days, chosen on 1, scored on 3 (0: not run)."
    )
    var residualTrees = 0
    @Flag(help: "Also the hourly errors at 30 minutes of each test day on its own (a bad day hides in the period's mean).")
    var byDay = false
    @Option(help: "Also export the ridge's design rows to this directory for scripts/forecast-peer.py (LightGBM on the same inputs).")
    var exportDesign: String?
    @Option(help: "Also fit this many boosted trees on the ridge's design rows and score them beside it (0: not fitted).")
    var designTrees = 0
    @Option(help: "The design trees' loss: squared or absolute.") var designTreeLoss = "absolute"
    @Option(help: "The design trees' depth.") var designTreeDepth = 6
    @Option(help: "Fitting rows for the design trees at most (every k-th row).") var designTreeRows = 200_000
    @Option(help: "Boosted trees per target and horizon the trainer fits beside the ridge (CABLECAR_TRAINER_TREES; 0: the ridge alone).")
    var trees = ModelParameters().treeCount

    func run() async throws {
        guard let first = LocalDate(start) else { throw ValidationError("--start must be YYYY-MM-DD") }
        guard (0...2_000).contains(residualTrees) else { throw ValidationError("--residual-trees must be 0...2000") }
        guard (0...256).contains(oracleForks), (5...1440).contains(oracleEvery), oracleEvery % 5 == 0 else {
            throw ValidationError("--oracle-forks must be 0...256 and --oracle-every a multiple of 5 in 5...1440")
        }
        guard let loss = BoostedTrees.Loss(rawValue: designTreeLoss) else {
            throw ValidationError("--design-tree-loss must be squared or absolute")
        }
        guard (0...2_000).contains(designTrees), (1...12).contains(designTreeDepth), (1_000...5_000_000).contains(designTreeRows) else {
            throw ValidationError("--design-trees must be 0...2000, --design-tree-depth 1...12 and --design-tree-rows 1000...5000000")
        }
        guard (0...2_000).contains(trees) else { throw ValidationError("--trees must be 0...2000") }
        if residualTrees > 0 {
            try await ResidualTrees.run(
                days: days, start: first, seed: seed, speedNoise: speedNoise, flowNoise: flowNoise, trees: residualTrees)
            return
        }
        try await ForecastQuality(
            days: days, speedNoise: speedNoise, flowNoise: flowNoise, seed: seed, start: first, oracleForks: oracleForks,
            oracleEveryMinutes: oracleEvery, oracleKnowsDayMood: !oracleWithoutMood, byDay: byDay,
            designExport: exportDesign.map { URL(fileURLWithPath: $0) },
            designTrees: designTrees > 0
                ? BoostedTrees.Parameters(trees: designTrees, depth: designTreeDepth, learningRate: 0.1, loss: loss) : nil,
            designTreeRows: designTreeRows, trainerTrees: trees
        )
        .run()
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
