import CablecarDomain
import Testing

@testable import CablecarSimulation

@Suite("Benchmark")
struct BenchmarkTests {
    @Test func measuresADayAndCountsEveryFeed() throws {
        let result = try SimulationBenchmark.measure(days: 1)
        #expect(result.days == 1 && result.seconds > 0 && result.cityDaysPerMinute > 0)
        #expect(Set(result.recordsPerTopic.keys) == Set(Topic.rawFeeds))
        #expect(result.records == result.recordsPerTopic.values.reduce(0, +))
    }
}
