import CablecarDomain
import Foundation

/// The numeric building blocks of the transformations: small, pure and separately tested.
public enum FeatureMath {
    /// Mean of the values; nil when there are none.
    public static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    /// Population standard deviation (divide by n); nil with fewer than two values, because one
    /// value says nothing about spread and 0 would read as "perfectly steady".
    public static func populationStd(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
        return variance.squareRoot()
    }

    /// (sin, cos) of `position` on a cycle of `period`: 23:55 and 00:00 end up close together.
    public static func cyclic(_ position: Double, period: Double) -> (sin: Double, cos: Double) {
        let angle = 2 * Double.pi * position / period
        return (sin(angle), cos(angle))
    }
}

/// Local calendar position of an instant in the city's time zone (demand follows clock time).
public struct LocalCalendar: Sendable {
    public let timeZone: TimeZone

    public init(identifier: String) throws {
        guard let zone = TimeZone(identifier: identifier) else { throw FeatureError.unknownTimeZone(identifier) }
        timeZone = zone
    }

    /// Minute of the local day (0 ..< 1440) and local day of week (Monday = 0).
    public func position(of instant: EpochMillis) -> (minuteOfDay: Int, dayOfWeek: Int) {
        let offset = EpochMillis(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant) / 1000))) * 1000
        let local = instant + offset
        let day: EpochMillis = 86_400_000
        let days = local >= 0 ? local / day : (local - day + 1) / day
        let minute = Int((local - days * day) / 60_000)
        // 1970-01-01 was a Thursday (3 days after a Monday).
        let dow = Int(((days + 3) % 7 + 7) % 7)
        return (minute, dow)
    }
}
