import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

/// Forks are what the benchmark's best possible forecast averages over, so they must carry the
/// whole present: a fork that keeps the random streams replays the original exactly, one with
/// fresh streams starts from the same state and drifts apart.
@Suite("Forks of the simulated city")
struct ForkTests {
    static let configuration = SimulationConfiguration(
        city: Fixtures.city, start: Fixtures.monday, days: 1, seed: 7, scenario: DeterminismTests.busyScenario)

    /// Steps `engine` for `minutes` and returns the truth it closed.
    static func advance(_ engine: SimulationEngine, minutes: Int) throws -> [SegmentTruth] {
        var truth: [SegmentTruth] = []
        for _ in 0..<minutes {
            let more = try engine.step()
            truth += engine.takeTruth()
            _ = engine.takeRecords()
            if !more { break }
        }
        return truth
    }

    @Test func aTruthOnlyEngineMovesTheCityAsTheFullOneDoes() throws {
        let full = try SimulationEngine(configuration: Self.configuration)
        let truthOnly = try SimulationEngine(configuration: Self.configuration, emitsFeeds: false)
        let expected = try Self.advance(full, minutes: 1440)
        let actual = try Self.advance(truthOnly, minutes: 1440)
        #expect(!expected.isEmpty)
        #expect(actual == expected)
        #expect(truthOnly.takeRecords().isEmpty)
    }

    @Test func aForkWithTheSameStreamsReplaysTheFutureExactly() throws {
        let engine = try SimulationEngine(configuration: Self.configuration)
        _ = try Self.advance(engine, minutes: 8 * 60)  // into the morning rush, the rain at 10:00 ahead
        let fork = engine.fork()
        let forked = try Self.advance(fork, minutes: 3 * 60)
        let original = try Self.advance(engine, minutes: 3 * 60)
        #expect(forked.count == 36 * Fixtures.city.segments.count)
        #expect(forked == original)
        #expect(fork.takeRecords().isEmpty, "a fork emits no feed records")
    }

    @Test func aForkWithAnotherFutureStartsFromTheSamePresentAndDriftsApart() throws {
        let engine = try SimulationEngine(configuration: Self.configuration)
        _ = try Self.advance(engine, minutes: 8 * 60)
        let other = engine.fork(futureSeed: 12_345)
        let forked = try Self.advance(other, minutes: 60)
        let original = try Self.advance(engine, minutes: 60)
        let segments = Fixtures.city.segments.count
        func meanAbsoluteFlowDifference(interval: Int) -> Double {
            let range = (interval * segments)..<((interval + 1) * segments)
            let total = range.reduce(0.0) { $0 + abs(forked[$1].flowVehiclesPerHour - original[$1].flowVehiclesPerHour) }
            return total / Double(segments)
        }
        let first = meanAbsoluteFlowDifference(interval: 0)
        let last = meanAbsoluteFlowDifference(interval: 11)
        #expect(forked != original)
        // The same queues and demand mood: five minutes on, the futures differ by little, an hour
        // on by more (the slow demand noise has moved on).
        #expect(first > 0)
        #expect(first < 40, "five minutes after the fork flows differ by \(first) veh/h on average")
        #expect(last > 1.5 * first, "an hour after the fork flows differ by \(last) veh/h, five minutes after by \(first)")
    }

    @Test func aForkThatRedrawsTheDaysMoodChangesOnlyHowBusyTheNeighborhoodsAre() throws {
        let engine = try SimulationEngine(configuration: Self.configuration)
        _ = try Self.advance(engine, minutes: 8 * 60)
        let knowing = engine.fork(futureSeed: 99)
        let redrawn = engine.fork(futureSeed: 99, redrawingDayMood: true)
        #expect(knowing.mood == engine.mood)
        #expect(redrawn.mood != engine.mood)
        #expect(redrawn.mood.allSatisfy { (0.7...1.4).contains($0) }, "moods \(redrawn.mood)")
        #expect(redrawn.traffic.queue == engine.traffic.queue, "the present is the same")
        let withMood = try Self.advance(knowing, minutes: 60)
        let withoutMood = try Self.advance(redrawn, minutes: 60)
        #expect(withMood != withoutMood)
    }
}
