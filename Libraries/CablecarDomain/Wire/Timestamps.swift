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
        guard remainder < 0 else { return time - remainder }
        // Below the lowest representable interval start the floor does not exist: clamp (never trap).
        let floor = (time - remainder).subtractingReportingOverflow(lengthMillis)
        return floor.overflow ? time - remainder : floor.partialValue
    }

    /// Index of the interval within its week (0 ..< 2016), Monday 00:00 UTC = 0.
    /// The historical-average baseline keys on this.
    @inlinable
    public static func slotOfWeek(_ time: EpochMillis) -> Int {
        let week: EpochMillis = 7 * 24 * 3600 * 1000
        // 1970-01-01 was a Thursday: shift so that Monday starts the week.
        // Reduced first, so no time (Int64.min ... Int64.max) overflows.
        let shifted = (time % week) + 3 * 24 * 3600 * 1000
        let intoWeek = ((shifted % week) + week) % week
        return Int(intoWeek / lengthMillis)
    }
}

/// The event times Cablecar accepts from outside (HTTP bodies, query strings, Kafka messages):
/// 2000-01-01 to 2100-01-01 UTC. Checked before any time arithmetic, so sums and differences of
/// accepted times (and day counts on top of them) can never overflow `Int64`.
public enum EpochBounds {
    /// 2000-01-01T00:00:00Z.
    public static let earliest: EpochMillis = 946_684_800_000
    /// 2100-01-01T00:00:00Z.
    public static let latest: EpochMillis = 4_102_444_800_000
    public static let range: ClosedRange<EpochMillis> = earliest...latest

    /// The sentence a refusal carries.
    public static let expectation = "a time in epoch milliseconds from 946684800000 (2000-01-01) to 4102444800000 (2100-01-01)"

    @inlinable
    public static func contains(_ time: EpochMillis) -> Bool { range.contains(time) }

    /// nil when `time` is acceptable, else a sentence naming `field`.
    public static func problem(_ field: String, _ time: EpochMillis) -> String? {
        contains(time) ? nil : "\(field) must be \(expectation), got \(time)"
    }
}

/// Text Cablecar accepts from outside before it reaches storage: Postgres refuses NUL in text
/// and jsonb, and every field has a length limit.
public enum TextBounds {
    /// nil when `text` has no NUL and at most `maxLength` characters (and at least `minLength`).
    public static func problem(_ field: String, _ text: String, minLength: Int = 0, maxLength: Int) -> String? {
        if text.utf8.contains(0) { return "\(field) must not contain NUL characters" }
        let count = text.utf8.count > maxLength * 4 ? maxLength + 1 : text.count
        if count < minLength || count > maxLength {
            return minLength > 0
                ? "\(field) must have \(minLength) to \(maxLength) characters" : "\(field) must have at most \(maxLength) characters"
        }
        return nil
    }
}
