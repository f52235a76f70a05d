import CablecarDomain
import Foundation

@testable import CablecarSimulation

/// Shared inputs: the bundled city, loaded once, and quick ways to run a day.
enum Fixtures {
    static let city: CityDefinition = try! CityDefinition.bundledDefault()

    /// A Monday, so day 0 has weekday commute peaks.
    static let monday = LocalDate(year: 2025, month: 3, day: 3)

    /// Coarse feed rates: the traffic is the same, with far fewer records to encode.
    static let coarse = FeedRates(loopIntervalSeconds: 300, cameraIntervalSeconds: 300, gpsIntervalSeconds: 60, weatherIntervalMinutes: 30)

    static func run(
        seed: UInt64 = 1, days: Int = 1, scenario: Scenario = .baseline, faults: FaultConfiguration = .none,
        rates: FeedRates = coarse
    ) throws -> SimulationReplay.Output {
        try SimulationReplay.collect(
            SimulationConfiguration(city: city, start: monday, days: days, seed: seed, scenario: scenario, faults: faults, rates: rates))
    }

    /// `Simulators/` in the repository, found by walking up from this file.
    static var simulatorsDirectory: URL {
        var directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("Simulators/scenarios")
            if FileManager.default.fileExists(atPath: candidate.path) { return directory.appendingPathComponent("Simulators") }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "Simulators")
    }

    /// Local hour of an event time in the city (America/Los_Angeles; PST in early March).
    static func localHour(_ time: EpochMillis) -> Double {
        let calendar = try! SimulationCalendar(timeZoneIdentifier: city.timeZone)
        return calendar.localClock(at: time).hour
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}
