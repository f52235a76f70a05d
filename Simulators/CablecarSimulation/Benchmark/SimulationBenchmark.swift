import CablecarDomain
import Foundation

/// How many simulated city-days `cablecar-sim` generates per minute on this machine: the
/// full pipeline (traffic, every feed encoded, fault injection) into memory, no I/O.
///
/// Lives in the simulation library rather than in Benchmarks/CablecarBench so that
/// `cablecar-bench` only needs `CablecarSimulation` as a dependency to call
/// `SimulationBenchmark.run()`; a file there importing a module the target does not
/// depend on would break the package's build.
public enum SimulationBenchmark {
    public struct Result: Sendable {
        public var days: Int
        public var seconds: Double
        public var records: Int
        public var recordsPerTopic: [Topic: Int]
        public var cityDaysPerMinute: Double { Double(days) / seconds * 60 }
        public var recordsPerSecond: Double { Double(records) / seconds }
    }

    /// Simulates `days` days with the bundled city (light faults, default rates) and
    /// returns the timing. Build in release mode for meaningful numbers.
    public static func measure(days: Int = 3, seed: UInt64 = 1) throws -> Result {
        let configuration = SimulationConfiguration(city: try CityDefinition.bundledDefault(), days: days, seed: seed, faults: .light)
        let engine = try SimulationEngine(configuration: configuration)
        var perTopic: [Topic: Int] = [:]
        var total = 0
        let clock = ContinuousClock()
        let started = clock.now
        while !engine.isFinished {
            try engine.step()
            for record in engine.takeRecords() { perTopic[record.topic, default: 0] += 1 }
            _ = engine.takeTruth()
            _ = engine.takeFaults()
        }
        let elapsed = clock.now - started
        total = perTopic.values.reduce(0, +)
        let seconds = elapsed.inSeconds
        return Result(days: days, seconds: seconds, records: total, recordsPerTopic: perTopic)
    }

    /// Runs the measurement and prints the figures.
    public static func run(days: Int = 3) throws {
        let result = try measure(days: days)
        print("simulation: \(result.days) city-days in \(String(format: "%.2f", result.seconds)) s")
        print("  city-days per minute: \(String(format: "%.1f", result.cityDaysPerMinute))")
        print("  records per second:   \(Int(result.recordsPerSecond))")
        print("  records per city-day by feed:")
        for topic in Topic.rawFeeds {
            print(
                "    \(topic.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \((result.recordsPerTopic[topic] ?? 0) / result.days)"
            )
        }
    }
}
