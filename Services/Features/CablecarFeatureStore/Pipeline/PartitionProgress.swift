import CablecarDomain
import CablecarFeatures
import CablecarKafka

/// Which assigned partitions may hold the availability clock back.
///
/// A partition that is delivering holds the clock at its newest interval: a consumer catching up
/// on a backlog reads partitions at different speeds, and the one behind may still hold older
/// intervals. A partition that has delivered nothing for `idleAfter` (empty, or read to its end)
/// holds nothing back; otherwise one silent partition would stop every step.
///
/// Silence alone is not idleness, though: on a fast replay a partition can go unread for longer
/// than `idleAfter` with thousands of observations waiting, and passing it over stamps all of
/// them with a clock hours past their intervals. Point-in-time retrieval then finds the recent
/// features of the training rows missing (the last interval in 8 % of them, the hour's mean in
/// 47 %), while served at a steady pace they are there: the model learns not to rely on them. So
/// a silent partition whose position is known keeps holding the clock while the broker shows
/// messages past it (`holding`, set per batch from `PartitionEnds`). If an idle partition later
/// delivers older data, that data becomes available at the clock: later than it could have
/// been, never earlier, so nothing leaks and nothing computed changes.
struct PartitionProgress: Sendable {
    let idleAfter: Duration
    private(set) var assigned: [String] = []
    /// When each assigned partition last delivered (or was first assigned).
    private var lastActivity: [String: ContinuousClock.Instant] = [:]
    /// The highest offset each partition delivered since this process started.
    private(set) var handled: [String: Int64] = [:]
    /// Silent partitions with messages waiting on the broker: never idle.
    var holding: Set<String> = []

    init(idleAfter: Duration = .seconds(10)) {
        self.idleAfter = idleAfter
    }

    static func key(_ topic: String, _ partition: Int32) -> String { "\(topic):\(partition)" }

    mutating func refresh(assignment: Set<TopicPartition>, now: ContinuousClock.Instant = .now) {
        // An empty assignment is a rebalance in progress: keep the last known one.
        guard !assignment.isEmpty else { return }
        assigned = assignment.map { Self.key($0.topic, $0.partition) }.sorted()
        for key in assigned where lastActivity[key] == nil { lastActivity[key] = now }
    }

    mutating func delivered(_ key: String, offset: Int64, now: ContinuousClock.Instant = .now) {
        lastActivity[key] = now
        handled[key] = max(handled[key] ?? offset, offset)
    }

    func idle(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard let last = lastActivity[key], !holding.contains(key) else { return false }
        return now - last > idleAfter
    }

    /// Assigned partitions that silence alone would make idle and whose position is known: the
    /// ones to ask the broker about. (One that has delivered nothing since this process started
    /// stays idle by silence: its position is the group's, not known here, and its messages, if
    /// any, would have arrived with the first fetches.)
    func silentWithKnownPosition(now: ContinuousClock.Instant = .now) -> Set<String> {
        Set(assigned.filter { handled[$0] != nil && now - (lastActivity[$0] ?? now) > idleAfter })
    }

    /// Where the clock may move: the slowest delivering partition's newest interval end; when
    /// every partition is idle, the newest interval seen anywhere. Nil when a delivering (or
    /// newly assigned) partition has not delivered anything yet.
    func clockCandidate(_ clock: AvailabilityClock, now: ContinuousClock.Instant = .now) -> EpochMillis? {
        guard !assigned.isEmpty else { return nil }
        var slowest: EpochMillis?
        var active = false
        for key in assigned where !idle(key, now: now) {
            active = true
            guard let mark = clock.highWater[key] else { return nil }
            slowest = min(slowest ?? mark, mark)
        }
        return active ? slowest : clock.highWater.values.max()
    }
}
