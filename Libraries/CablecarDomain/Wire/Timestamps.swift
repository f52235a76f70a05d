/// Milliseconds since the Unix epoch, UTC. Every Cablecar message carries its event time in
/// this unit; integers keep encoding fast and unambiguous across languages.
public typealias EpochMillis = Int64

/// A five-minute interval, the grain of observations, features and forecasts.
public enum Interval {
    public static let lengthMillis: EpochMillis = 5 * 60 * 1000

    /// Start of the five-minute interval containing `time` (floor, also for times before 1970).
    @inlinable
    public static func start(containing time: EpochMillis) -> EpochMillis {
        let remainder = time % lengthMillis
        return remainder >= 0 ? time - remainder : time - remainder - lengthMillis
    }

    /// Index of the interval within its week (0 ..< 2016), Monday 00:00 UTC = 0.
    /// The historical-average baseline keys on this.
    @inlinable
    public static func slotOfWeek(_ time: EpochMillis) -> Int {
        let week: EpochMillis = 7 * 24 * 3600 * 1000
        // 1970-01-01 was a Thursday: shift so that Monday starts the week.
        let shifted = time + 3 * 24 * 3600 * 1000
        let intoWeek = ((shifted % week) + week) % week
        return Int(intoWeek / lengthMillis)
    }
}
