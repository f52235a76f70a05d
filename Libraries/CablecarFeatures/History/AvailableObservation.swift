import CablecarDomain

/// One revision of a traffic observation with the instant the platform had it. The
/// point-in-time rule: usable at instant `t` only if `availableAt <= t`.
public struct AvailableTraffic: Sendable, Hashable {
    public var observation: TrafficObservation
    public var availableAt: EpochMillis

    public init(_ observation: TrafficObservation, availableAt: EpochMillis) {
        self.observation = observation
        self.availableAt = availableAt
    }
}

/// One revision of a context observation with the instant the platform had it.
public struct AvailableContext: Sendable, Hashable {
    public var observation: ContextObservation
    public var availableAt: EpochMillis

    public init(_ observation: ContextObservation, availableAt: EpochMillis) {
        self.observation = observation
        self.availableAt = availableAt
    }
}

/// Assigns availability times to observations in the order they arrive.
///
/// Why not just `ingestTime`: `ingestTime` is the ingest process's wall clock, so on a replay
/// of past days every revision carries a time long after every instant of the replay, and
/// nothing would ever be "available". Instants live on the event-time axis, so availability
/// is measured there too: the stream's event-time clock when the revision arrived (the slowest
/// partition's newest interval end, never moving backwards), and never before the interval's
/// own end. A late correction arrives when the clock is well past its interval, so it becomes
/// available only then. `.ingestTime` applies the wall-clock rule literally (live streams).
///
/// Either way a revision is never available before the clock at its arrival: once the clock
/// has passed an instant, nothing that arrives later can change that instant's features, which
/// is what lets the streaming path compute a step once and backfill reproduce it exactly.
public struct AvailabilityClock: Sendable {
    public enum Policy: String, Sendable, Codable {
        case streamTime = "stream_time"
        case ingestTime = "ingest_time"
    }

    public let policy: Policy
    /// Newest interval end per source partition ("topic:partition").
    public private(set) var highWater: [String: EpochMillis]
    /// The clock so far; it never moves backwards (a partition seen for the first time may lag).
    public private(set) var now: EpochMillis?

    public init(policy: Policy = .streamTime, highWater: [String: EpochMillis] = [:], now: EpochMillis? = nil) {
        self.policy = policy
        self.highWater = highWater
        let slowest = highWater.values.min()
        self.now = [now, slowest].compactMap { $0 }.max()
    }

    /// Records an arrival on `partition` and returns its availability time, with the clock at
    /// the slowest partition seen so far. Right for one reader that sees every partition's data
    /// in step (in-memory histories); a consumer catching up on a backlog reads partitions at
    /// different speeds and should drive the clock itself (`observe`, `advance`, `availability`).
    public mutating func arrive(
        eventTime: EpochMillis, ingestTime: EpochMillis, partition: String = "0", knownAt: EpochMillis? = nil
    ) -> EpochMillis {
        observe(eventTime: eventTime, partition: partition)
        if let slowest = highWater.values.min() { advance(to: slowest) }
        return availability(eventTime: eventTime, ingestTime: ingestTime, partition: partition, knownAt: knownAt)
    }

    /// Records that `partition` delivered an observation of the interval containing `eventTime`.
    public mutating func observe(eventTime: EpochMillis, partition: String) {
        let end = Interval.start(containing: eventTime) + Interval.lengthMillis
        highWater[partition] = max(highWater[partition] ?? end, end)
    }

    /// Moves the clock forward to `candidate` (never back).
    public mutating func advance(to candidate: EpochMillis) {
        now = max(now ?? candidate, candidate)
    }

    /// The availability time of a revision arriving now on `partition`: never before the clock,
    /// nor (stream time) before the newest interval its own partition has delivered, so a
    /// correction read right after newer intervals of its partition is not dated back even
    /// while the clock cannot move yet; nor before `knownAt`, the instant ingest derived from the
    /// readings themselves. Ingest emits in an order that keeps the clock at or before `knownAt`
    /// when the revision arrives (docs/features.md, Availability), so in a replay `knownAt` is
    /// what decides, whatever order partitions happen to be read in.
    public func availability(
        eventTime: EpochMillis, ingestTime: EpochMillis, partition: String? = nil, knownAt: EpochMillis? = nil
    ) -> EpochMillis {
        let end = Interval.start(containing: eventTime) + Interval.lengthMillis
        let clock = now ?? end
        switch policy {
        case .ingestTime: return max(ingestTime, clock)
        case .streamTime: return max(end, clock, partition.flatMap { highWater[$0] } ?? end, knownAt ?? end)
        }
    }

    /// Availability for a whole in-memory history taken in arrival order (one partition).
    public static func assign(
        traffic: [TrafficObservation], context: [ContextObservation], policy: Policy = .streamTime
    ) -> (traffic: [AvailableTraffic], context: [AvailableContext]) {
        // Interleave by ingest order then event time, as the two topics would be read side by side.
        var clock = AvailabilityClock(policy: policy)
        var merged: [(isTraffic: Bool, index: Int, ingest: EpochMillis, event: EpochMillis, knownAt: EpochMillis?)] = []
        merged.reserveCapacity(traffic.count + context.count)
        for (i, o) in traffic.enumerated() { merged.append((true, i, o.ingestTime, o.eventTime, o.knownAt)) }
        for (i, o) in context.enumerated() { merged.append((false, i, o.ingestTime, o.eventTime, o.knownAt)) }
        merged.sort { ($0.ingest, $0.event, $0.isTraffic ? 0 : 1, $0.index) < ($1.ingest, $1.event, $1.isTraffic ? 0 : 1, $1.index) }
        var outTraffic = [AvailableTraffic?](repeating: nil, count: traffic.count)
        var outContext = [AvailableContext?](repeating: nil, count: context.count)
        for item in merged {
            let at = clock.arrive(eventTime: item.event, ingestTime: item.ingest, knownAt: item.knownAt)
            if item.isTraffic {
                outTraffic[item.index] = AvailableTraffic(traffic[item.index], availableAt: at)
            } else {
                outContext[item.index] = AvailableContext(context[item.index], availableAt: at)
            }
        }
        return (outTraffic.compactMap { $0 }, outContext.compactMap { $0 })
    }
}
