import CablecarDomain

/// Event-time progress of one stream: the newest event time seen, and what follows from it.
///
/// An interval is emitted once the watermark (newest event time − allowed lateness) passes its
/// end. A reading for an interval that is already past the watermark is late: accepted, and its
/// interval re-emitted as a correction. A reading older than the newest event time minus the
/// hard limit is rejected as `too_late`, since nobody downstream still waits for it.
public struct Watermark: Sendable, Equatable {
    public var maxEventTime: EpochMillis?
    public let allowedLatenessMillis: Int64
    public let tooLateMillis: Int64

    public init(maxEventTime: EpochMillis? = nil, allowedLatenessMillis: Int64, tooLateMillis: Int64) {
        self.maxEventTime = maxEventTime
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
    public var watermark: EpochMillis? { maxEventTime.map { $0 - allowedLatenessMillis } }

    public func timeliness(of eventTime: EpochMillis) -> Timeliness {
        guard let maxEventTime, let watermark else { return .onTime }
        if eventTime < maxEventTime - tooLateMillis { return .tooLate }
        return Interval.start(containing: eventTime) + Interval.lengthMillis <= watermark ? .late : .onTime
    }

    /// Moves forward (never back) with an accepted event time.
    public mutating func advance(to eventTime: EpochMillis) {
        maxEventTime = max(maxEventTime ?? eventTime, eventTime)
    }

    /// True when the interval starting at `intervalStart` may be emitted.
    public func isDue(intervalStart: EpochMillis) -> Bool {
        guard let watermark else { return false }
        return intervalStart + Interval.lengthMillis <= watermark
    }
}
