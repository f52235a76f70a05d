import CablecarDomain

/// Which revision of its interval a reading belongs to, and from when each revision counts as
/// known, decided by the reading's publish time (its Kafka timestamp) instead of by the moment
/// ingest happened to read it. That is what makes a replay reproducible: partitions are read at
/// different speeds in every run, but publish times are part of the data.
///
/// - A reading published before its interval's end plus the allowed lateness is **on time**: it
///   goes into the interval's first revision, which counts as known at the interval's end.
///   Each raw partition is in publish order, so once the watermark has passed an interval every
///   on-time reading of it has been read: the first revision's content is fixed.
/// - A reading published later is **late**: it is held apart and goes into the interval's
///   **final** revision, emitted once the too-late limit has passed the interval (no reading of
///   it can be accepted any more) and known from then, or from its latest late reading's
///   publish time if that is later.
///
/// Event updates (`ingest_city_events`) count for a revision if published before its cutoff.
/// What remains order-dependent (an idle partition that speaks again, readings without a
/// timestamp) is listed in docs/ingest.md, Reproducible replays.
public struct KnowledgeRule: Sendable, Equatable {
    public let allowedLatenessMillis: Int64
    public let tooLateMillis: Int64

    public init(allowedLatenessMillis: Int64, tooLateMillis: Int64) {
        self.allowedLatenessMillis = allowedLatenessMillis
        self.tooLateMillis = tooLateMillis
    }

    /// Published at or after its interval's end plus the allowed lateness. A reading without a
    /// publish time is taken as on time.
    public func isLate(eventTime: EpochMillis, publishTime: EpochMillis?) -> Bool {
        guard let publishTime else { return false }
        return publishTime >= onTimeCutoff(intervalStart: Interval.start(containing: eventTime))
    }

    /// Readings and event updates published before this belong to the first revision.
    public func onTimeCutoff(intervalStart: EpochMillis) -> EpochMillis {
        intervalStart + Interval.lengthMillis + allowedLatenessMillis
    }

    /// When the first revision counts as known: the interval's end.
    public func onTimeKnownAt(intervalStart: EpochMillis) -> EpochMillis {
        intervalStart + Interval.lengthMillis
    }

    /// When the final revision counts as known (and event updates published before it count).
    /// A publish time is whatever a producer stamped: one past twice the too-late window counts
    /// as that bound, so a forged timestamp cannot date the revision out of every range.
    public func finalKnownAt(intervalStart: EpochMillis, latestLatePublish: EpochMillis?) -> EpochMillis {
        let closes = intervalStart + Interval.lengthMillis + tooLateMillis
        return max(closes, min(latestLatePublish ?? .min, closes + tooLateMillis))
    }

    /// Final revisions are due for intervals starting at or before this, given the watermark.
    public func finalHorizon(watermark: EpochMillis) -> EpochMillis {
        watermark - Interval.lengthMillis - tooLateMillis
    }
}
