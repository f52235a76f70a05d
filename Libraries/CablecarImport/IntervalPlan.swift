import CablecarDomain

/// How a reading becomes `raw.loop` messages. Ingest aggregates by five-minute interval, placing
/// a reading in the interval holding its start. A reading of at most five minutes (a divisor of
/// 300 s) is one message, as the simulator sends. A longer one (a multiple of 300 s, up to an
/// hour) is one message per five-minute interval it covers, each carrying the whole reading
/// (`vehicle_count` over `interval_s`), so every interval gets the reading's mean rate and no
/// split within the reading is invented. Every message is published at the reading's end, when
/// it was known (the Kafka timestamp ingest judges lateness by).
public enum IntervalPlan {
    public static let expectation = "a divisor of 300 (10 s or more) or a multiple of 300 up to 3600"

    public static func accepts(_ seconds: Int) -> Bool {
        (seconds >= 10 && seconds <= 300 && 300 % seconds == 0) || (seconds > 300 && seconds <= 3_600 && seconds % 300 == 0)
    }

    /// The event times of the messages of a reading starting at `start`.
    public static func eventTimes(start: EpochMillis, intervalSeconds: Int) -> [EpochMillis] {
        guard intervalSeconds > 300 else { return [start] }
        return (0..<(intervalSeconds / 300)).map { start + EpochMillis($0) * Interval.lengthMillis }
    }
}
