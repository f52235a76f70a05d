import CablecarDomain
import CablecarFeatures
import CablecarKafka

/// Which assigned partitions may hold the availability clock back.
///
/// A partition that is delivering holds the clock at its newest interval: a consumer catching up
/// on a backlog reads partitions at different speeds, and the one behind may still hold older
/// intervals. A partition that has delivered nothing for `idleAfter` (empty, or read to its end)
/// holds nothing back; otherwise one silent partition would stop every step. (Broker end offsets
/// would say "read to its end" directly, but the local broker does not report them reliably.)
/// If an idle partition later delivers older data, that data becomes available at the clock:
/// later than it could have been, never earlier, so nothing leaks and nothing computed changes.
struct PartitionProgress: Sendable {
    let idleAfter: Duration
    private(set) var assigned: [String] = []
    /// When each assigned partition last delivered (or was first assigned).
    private var lastActivity: [String: ContinuousClock.Instant] = [:]

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

    mutating func delivered(_ key: String, now: ContinuousClock.Instant = .now) {
        lastActivity[key] = now
    }

    func idle(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard let last = lastActivity[key] else { return false }
        return now - last > idleAfter
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
