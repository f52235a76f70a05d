import CablecarDomain
import Foundation

/// A calendar date without a time or zone, as the command line gives `--start`.
public struct LocalDate: Sendable, Hashable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        self.init(year: parts[0], month: parts[1], day: parts[2])
    }

    public var description: String {
        let month = month < 10 ? "0\(month)" : "\(month)"
        let day = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(month)-\(day)"
    }
}

/// Local clock arithmetic for the city's time zone. Demand follows the local clock, and a
/// simulated day runs from local midnight to local midnight (23 or 25 hours across DST).
/// Only fixed epochs are converted — never "now" — so output stays reproducible.
public struct SimulationCalendar: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(timeZoneIdentifier: String) throws {
        guard let zone = TimeZone(identifier: timeZoneIdentifier) else {
            throw SimulationError.invalidConfiguration(
                "unknown time zone \(timeZoneIdentifier); use an IANA name such as America/Los_Angeles")
        }
        timeZone = zone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    /// Epoch milliseconds of local midnight starting `date` plus `offset` days.
    public func midnight(of date: LocalDate, plusDays offset: Int = 0) throws -> EpochMillis {
        var components = DateComponents()
        components.year = date.year
        components.month = date.month
        components.day = date.day
        guard let start = calendar.date(from: components),
            let shifted = calendar.date(byAdding: .day, value: offset, to: start)
        else {
            throw SimulationError.invalidConfiguration("cannot place \(date) + \(offset) days in \(timeZone.identifier)")
        }
        return EpochMillis((shifted.timeIntervalSince1970 * 1000).rounded())
    }

    /// Local hour of day as a fraction (8.5 = 08:30) and whether the local day is a weekend.
    public func localClock(at time: EpochMillis) -> (hour: Double, weekday: Int, weekend: Bool) {
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        let offsetSeconds = timeZone.secondsFromGMT(for: date)
        let local = time / 1000 + Int64(offsetSeconds)
        let secondsIntoDay = ((local % 86_400) + 86_400) % 86_400
        let days = (local - secondsIntoDay) / 86_400
        // 1970-01-01 was a Thursday; 0 = Monday ... 6 = Sunday.
        let weekday = Int(((days + 3) % 7 + 7) % 7)
        return (Double(secondsIntoDay) / 3600, weekday, weekday >= 5)
    }
}

extension SimulationCalendar {
    /// The local calendar date at `time`, for readable event ids.
    public func localDate(at time: EpochMillis) -> LocalDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(time) / 1000))
        return LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }
}
