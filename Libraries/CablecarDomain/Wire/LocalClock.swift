import Foundation

/// A city's wall clock: UTC instants to local time, for the calendar a model keys on (the
/// historical average's time-of-week slots, a design's time-of-day terms). Rush hour is at 08:00
/// local in March and in November; keyed on UTC, a week of data on each side of a daylight
/// saving change would average the jam with the hour before it.
///
/// The zone's offsets are looked up once, when the clock is made (every transition from 1970 to
/// 2100), so converting an instant is a binary search, cheap enough for every training row.
public struct LocalClock: Sendable, Equatable {
    /// The IANA identifier ("America/Los_Angeles"); "UTC" for the clock of artifacts that
    /// predate local time.
    public let identifier: String
    /// Instants at which the offset changes, ascending, and the offset (ms) from each one on.
    private let transitions: [EpochMillis]
    private let offsets: [EpochMillis]
    /// The offset before the first transition.
    private let initialOffset: EpochMillis

    public static let utc = LocalClock(utcIdentifier: "UTC")

    private init(utcIdentifier: String) {
        identifier = utcIdentifier
        transitions = []
        offsets = []
        initialOffset = 0
    }

    /// Fails for an identifier the system's zone database does not know.
    public init(identifier: String) throws {
        guard let zone = TimeZone(identifier: identifier) else { throw LocalClockError.unknownTimeZone(identifier) }
        self.identifier = identifier
        let start = Date(timeIntervalSince1970: 0)
        let end = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        initialOffset = EpochMillis(zone.secondsFromGMT(for: start)) * 1000
        var transitions: [EpochMillis] = []
        var offsets: [EpochMillis] = []
        var cursor = start
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end, transitions.count < 1000 {
            transitions.append(EpochMillis((next.timeIntervalSince1970 * 1000).rounded()))
            offsets.append(EpochMillis(zone.secondsFromGMT(for: next)) * 1000)
            cursor = next
        }
        self.transitions = transitions
        self.offsets = offsets
    }

    /// The offset from UTC (ms) in force at `instant`.
    public func offset(at instant: EpochMillis) -> EpochMillis {
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? initialOffset : offsets[low - 1]
    }

    /// `instant` as local wall-clock milliseconds (the epoch-millis of the same wall time in UTC).
    public func local(_ instant: EpochMillis) -> EpochMillis {
        let (sum, overflow) = instant.addingReportingOverflow(offset(at: instant))
        return overflow ? instant : sum
    }

    /// The local time-of-week slot of `instant` (`Interval.slotOfWeek` of the wall time).
    public func slotOfWeek(_ instant: EpochMillis) -> Int { Interval.slotOfWeek(local(instant)) }

    /// Whether `instant` falls on a Saturday or Sunday of the city's calendar.
    public func isWeekend(_ instant: EpochMillis) -> Bool { slotOfWeek(instant) >= 5 * 288 }

    public static func == (lhs: LocalClock, rhs: LocalClock) -> Bool { lhs.identifier == rhs.identifier }
}

public enum LocalClockError: Error, CustomStringConvertible, Equatable {
    case unknownTimeZone(String)

    public var description: String {
        switch self {
        case .unknownTimeZone(let identifier):
            return "unknown time zone '\(identifier)': use an IANA identifier such as America/Los_Angeles"
        }
    }
}
