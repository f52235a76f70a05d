import CablecarDomain

/// Event-time progress of one stream (traffic or context), tracked per Kafka partition.
///
/// Each partition is in event-time order up to small delays, but a consumer catching up on a
/// backlog may read one partition hours ahead of another. So lateness is judged within the
/// record's own partition, and the stream's watermark is the slowest partition's newest event
/// time minus the allowed lateness: an interval is emitted only when every partition that has
/// carried data has moved past its end.
///
/// A partition that falls silent (a dead detector group, an events topic on a quiet day) would
/// hold the watermark back for everyone, so a partition that has accepted nothing for
/// `idleAfterMillis` of processing time stops counting until it speaks again; what it then
/// brings for intervals already emitted becomes a correction, as any late reading does. When
/// all partitions are idle (the stream ended or paused), the newest event time of any of them
/// counts, so the end of a stream is emitted instead of waiting behind its sparsest partition.
///
/// A reading for an interval that is already past the watermark is late: accepted, and its
/// interval re-emitted as a correction. A reading older than its partition's newest event time
/// minus the hard limit is rejected as `too_late`.
public struct Watermark: Sendable, Equatable {
    /// Newest event time per partition ("topic:partition").
    public private(set) var partitions: [String: EpochMillis]
    public let allowedLatenessMillis: Int64
    public let tooLateMillis: Int64
    /// Processing time without accepted records after which a partition is idle; nil: never.
    public let idleAfterMillis: Int64?
    /// Processing time each partition last accepted a record (restored ones: their restore time).
    private var lastActive: [String: EpochMillis]
    /// The processing time idleness is judged at (see `tick`).
    private var clock: EpochMillis

    /// `lastActive`: processing time each partition last accepted a record; partitions missing
    /// from it count as active at `now`.
    public init(
        partitions: [String: EpochMillis] = [:], allowedLatenessMillis: Int64, tooLateMillis: Int64, idleAfterMillis: Int64? = nil,
        now: EpochMillis = 0, lastActive: [String: EpochMillis] = [:]
    ) {
        self.partitions = partitions
        self.allowedLatenessMillis = allowedLatenessMillis
        self.tooLateMillis = tooLateMillis
        self.idleAfterMillis = idleAfterMillis
        self.lastActive = partitions.mapValues { _ in now }.merging(lastActive) { _, stored in stored }
        self.clock = now
    }

    /// Takes newer progress of partitions from elsewhere (other instances, via Postgres),
    /// without counting it as activity seen here.
    public mutating func absorb(_ newest: [String: EpochMillis]) {
        for (partition, time) in newest {
            if lastActive[partition] == nil { lastActive[partition] = clock }
            partitions[partition] = max(partitions[partition] ?? time, time)
        }
    }

    /// Equal when the persisted part (newest event time per partition) is.
    public static func == (lhs: Watermark, rhs: Watermark) -> Bool {
        lhs.partitions == rhs.partitions && lhs.allowedLatenessMillis == rhs.allowedLatenessMillis
            && lhs.tooLateMillis == rhs.tooLateMillis
    }

    /// Sets the processing time at which idleness is judged (once per batch).
    public mutating func tick(now: EpochMillis) {
        clock = max(clock, now)
    }

    /// Where the stream's event time stands: the slowest partition that is still delivering.
    /// Idle partitions never count: one that fell silent (read to its end, or a sparse feed)
    /// must not hold back, or freeze, partitions that have data. When every partition is idle
    /// the stream has ended or paused, and everything seen is complete as far as anyone can
    /// know: the newest event time of any partition, so the tail of a stream is flushed rather
    /// than left pending behind its sparsest partition. (After a restart every partition counts
    /// as active for one idle period from the restart, so nothing is flushed early.)
    private var streamTime: EpochMillis? {
        guard let idleAfterMillis else { return partitions.values.min() }
        var slowestActive: EpochMillis?
        var newest: EpochMillis?
        for (partition, time) in partitions {
            newest = max(newest ?? time, time)
            if clock - (lastActive[partition] ?? clock) <= idleAfterMillis { slowestActive = min(slowestActive ?? time, time) }
        }
        return slowestActive ?? newest
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
    public var watermark: EpochMillis? { streamTime.map { $0 - allowedLatenessMillis } }

    /// The newest event time over all partitions.
    public var maxEventTime: EpochMillis? { partitions.values.max() }

    public func timeliness(of eventTime: EpochMillis, partition: String) -> Timeliness {
        if isTooLate(eventTime, partition: partition) { return .tooLate }
        if let watermark, Interval.start(containing: eventTime) + Interval.lengthMillis <= watermark { return .late }
        return .onTime
    }

    /// Beyond the hard limit of its own partition. Cheaper than `timeliness` (no watermark over
    /// all partitions), which matters once per record.
    public func isTooLate(_ eventTime: EpochMillis, partition: String) -> Bool {
        guard let newest = partitions[partition] else { return false }
        return eventTime < newest - tooLateMillis
    }

    /// Moves the partition forward (never back) with an accepted event time; the partition is
    /// active as of the last `tick`.
    public mutating func advance(to eventTime: EpochMillis, partition: String) {
        partitions[partition] = max(partitions[partition] ?? eventTime, eventTime)
        lastActive[partition] = clock
    }

    /// True when the interval starting at `intervalStart` may be emitted.
    public func isDue(intervalStart: EpochMillis) -> Bool {
        guard let watermark else { return false }
        return intervalStart + Interval.lengthMillis <= watermark
    }
}
