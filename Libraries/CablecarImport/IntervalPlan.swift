import CablecarDomain

/// How a reading becomes `raw.loop` messages, without look-ahead. Ingest aggregates by
/// five-minute interval, placing a reading in the interval holding its event time, and dates the
/// interval's observation at the interval's end (`known_at`).
///
/// - A reading of at most five minutes (a divisor of 300 s) is one message at its start, as the
///   simulator sends: its interval ends at or after the reading does, so nothing is seen early.
/// - A longer one (a multiple of 300 s, up to an hour) is known only at its end. It becomes one
///   message for each of the `interval_s / 300` five-minute intervals that **follow** its end,
///   each carrying the whole reading (`vehicle_count` over `interval_s`, the reading's mean
///   rate): the newest known value held until the next reading takes over. Placing it in the
///   intervals it covers would let a feature at 10:05 see the 10:00–10:15 count.
///
/// Every message is published at the start of its interval, never before the reading's end (the
/// Kafka timestamp ingest judges lateness and future timestamps by), so it is on time with
/// ingest's default allowed lateness.
public enum IntervalPlan {
    public static let expectation = "a divisor of 300 (10 s or more) or a multiple of 300 up to 3600"

    public static func accepts(_ seconds: Int) -> Bool {
        (seconds >= 10 && seconds <= 300 && 300 % seconds == 0) || (seconds > 300 && seconds <= 3_600 && seconds % 300 == 0)
    }

    /// One message of a reading: the event time ingest places it by and its publish time.
    public struct Placement: Sendable, Equatable {
        public var eventTime: EpochMillis
        public var publishTime: EpochMillis
    }

    /// The messages of a reading of `intervalSeconds` starting at `start`.
    public static func placements(start: EpochMillis, intervalSeconds: Int) -> [Placement] {
        let end = start + EpochMillis(intervalSeconds) * 1_000
        guard intervalSeconds > 300 else { return [Placement(eventTime: start, publishTime: end)] }
        return (0..<(intervalSeconds / 300)).map {
            let slot = end + EpochMillis($0) * Interval.lengthMillis
            return Placement(eventTime: slot, publishTime: slot)
        }
    }
}
