import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

@Suite("Local calendar")
struct CalendarTests {
    let calendar = try! SimulationCalendar(timeZoneIdentifier: "America/Los_Angeles")

    @Test func localClockFollowsTheCityTimeZone() throws {
        let midnight = try calendar.midnight(of: Fixtures.monday)
        #expect(midnight == 1_740_988_800_000)  // 2025-03-03T08:00:00Z
        let clock = calendar.localClock(at: midnight + 8 * 3_600_000 + 30 * 60_000)
        #expect(clock.hour == 8.5 && clock.weekday == 0 && !clock.weekend)
        #expect(calendar.localClock(at: midnight + 5 * 86_400_000).weekend)
        #expect(calendar.localDate(at: midnight + 3_600_000) == Fixtures.monday)
    }

    @Test func springForwardDayHas23Hours() throws {
        let configuration = SimulationConfiguration(
            city: Fixtures.city, start: LocalDate(year: 2025, month: 3, day: 9), seed: 1, rates: Fixtures.coarse)
        let engine = try SimulationEngine(configuration: configuration)
        #expect(engine.endTime - engine.startTime == 23 * 3_600_000)
        let output = try SimulationReplay.collect(configuration)
        #expect(output.truth.count == Fixtures.city.segments.count * 23 * 12)
    }

    @Test func impossibleDatesAndSettingsAreRefused() {
        #expect(LocalDate("2025-13-01") == nil)
        #expect(throws: SimulationError.self) {
            try SimulationEngine(
                configuration: SimulationConfiguration(city: Fixtures.city, start: LocalDate(year: 2025, month: 2, day: 30)))
        }
        #expect(throws: SimulationError.self) {
            try SimulationEngine(configuration: SimulationConfiguration(city: Fixtures.city, rates: FeedRates(loopIntervalSeconds: 70)))
        }
        #expect(throws: SimulationError.self) {
            try SimulationEngine(configuration: SimulationConfiguration(city: Fixtures.city, days: 0))
        }
    }
}
