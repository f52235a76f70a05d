import CablecarDomain

/// Event-time progress of one stream (traffic or context), tracked per Kafka partition.
///
/// Each partition is in event-time order up to small delays, but a consumer catching up on a
/// backlog may read one partition hours ahead of another. So lateness is judged within the
/// record's own partition, and the stream's watermark is the slowest partition's newest event
/// time minus the allowed lateness: an interval is emitted only when every partition that has
/// carried data has moved past its end. (A partition that falls silent holds the watermark back;
/// that is the price of never emitting an interval that is still filling.)
///
/// A reading for an interval that is already past the watermark is late: accepted, and its
/// interval re-emitted as a correction. A reading older than its partition's newest event time
/// minus the hard limit is rejected as `too_late`.
public struct Watermark: Sendable, Equatable {
    /// Newest event time per partition ("topic:partition").
    public private(set) var partitions: [String: EpochMillis]
    public let allowedLatenessMillis: Int64
    public let tooLateMillis: Int64

    public init(partitions: [String: EpochMillis] = [:], allowedLatenessMillis: Int64, tooLateMillis: Int64) {
        self.partitions = partitions
        self.allowedLatenessMillis = allowedLatenessMillis
        self.tooLateMillis = tooLateMillis
    }

    public enum Timeliness: Sendable, Equatable {
        /// Its interval has not been emitted yet.
        case onTime
        /// Its interval was (or may have been) emitted: the reading produces a correction.
        case late
        /// Beyond the hard limit: rejected.
        case tooLate
    }

    /// Event times up to here are complete; intervals ending at or before it are due.
    public var watermark: EpochMillis? { partitions.values.min().map { $0 - allowedLatenessMillis } }

    /// The newest event time over all partitions.
    public var maxEventTime: EpochMillis? { partitions.values.max() }

    public func timeliness(of eventTime: EpochMillis, partition: String) -> Timeliness {
        if let newest = partitions[partition], eventTime < newest - tooLateMillis { return .tooLate }
        if let watermark, Interval.start(containing: eventTime) + Interval.lengthMillis <= watermark { return .late }
        return .onTime
    }

    /// Moves the partition forward (never back) with an accepted event time.
    public mutating func advance(to eventTime: EpochMillis, partition: String) {
        partitions[partition] = max(partitions[partition] ?? eventTime, eventTime)
    }

    /// True when the interval starting at `intervalStart` may be emitted.
    public func isDue(intervalStart: EpochMillis) -> Bool {
        guard let watermark else { return false }
        return intervalStart + Interval.lengthMillis <= watermark
    }
}
