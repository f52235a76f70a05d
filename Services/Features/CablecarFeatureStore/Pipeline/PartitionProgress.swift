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
///
/// A whole topic falling silent is different again: ingest emits traffic and context on
/// watermarks of their own, and one can stall for a while (its watermark waits on a sparse raw
/// partition) while the other runs on. Passing over the silent topic then dated its next
/// revisions by the other's progress, by however far it had got meanwhile: two replays of one
/// seed gave context availability 5 minutes to 2 hours apart. So while some topic delivers, a
/// topic whose partitions are all silent holds the clock at its newest interval for up to
/// `topicIdleAfter`; only a longer silence lets the clock go on without it. A topic that has
/// delivered nothing yet holds nothing once its partitions are idle.
struct PartitionProgress: Sendable {
    let idleAfter: Duration
    let topicIdleAfter: Duration
    private(set) var assigned: [String] = []
    /// When each assigned partition last delivered (or was first assigned).
    private var lastActivity: [String: ContinuousClock.Instant] = [:]
    /// The highest offset each partition delivered since this process started.
    private(set) var handled: [String: Int64] = [:]
    /// Silent partitions with messages waiting on the broker: never idle.
    var holding: Set<String> = []

    init(idleAfter: Duration = .seconds(10), topicIdleAfter: Duration = .seconds(120)) {
        self.idleAfter = idleAfter
        self.topicIdleAfter = topicIdleAfter
    }

    static func topic(ofKey key: String) -> Substring {
        key.lastIndex(of: ":").map { key[..<$0] } ?? key[...]
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
    /// ones to ask the broker about.
    func silentWithKnownPosition(now: ContinuousClock.Instant = .now) -> Set<String> {
        Set(assigned.filter { handled[$0] != nil && now - (lastActivity[$0] ?? now) > idleAfter })
    }

    /// Assigned partitions that silence alone would make idle and that have delivered nothing
    /// since this process started: their position is the group's committed offset, to be
    /// learned (`positionsKnown`) before the broker is asked about them. Idle by silence alone,
    /// such a partition let the clock run on after a restart while its producer had not yet
    /// written its next messages; when they came, behind another partition's in the same topic,
    /// they were dated by the clock that partition had moved (`cablecar chaos`: 1,000 context
    /// revisions available twelve hours late).
    func silentWithUnknownPosition(now: ContinuousClock.Instant = .now) -> Set<String> {
        Set(assigned.filter { handled[$0] == nil && now - (lastActivity[$0] ?? now) > idleAfter })
    }

    /// Records where partitions are read from (`nextOffsets`: the group's committed offsets; a
    /// negative one, nothing committed, reads from the beginning) for those not delivered yet.
    mutating func positionsKnown(_ nextOffsets: [String: Int64]) {
        for (key, next) in nextOffsets where handled[key] == nil { handled[key] = max(next, 0) - 1 }
    }

    /// Where the clock may move: the slowest delivering partition's newest interval end, and no
    /// further than the newest interval of a topic that fell silent less than `topicIdleAfter`
    /// ago (while everything is silent, that is every topic: a pause of the stream dates nothing
    /// by how far one topic happened to get before it). Once every topic has been silent for
    /// longer, the newest interval seen anywhere: the stream's tail. Nil when a delivering (or
    /// newly assigned) partition has not delivered anything yet.
    func clockCandidate(_ clock: AvailabilityClock, now: ContinuousClock.Instant = .now) -> EpochMillis? {
        guard !assigned.isEmpty else { return nil }
        var slowest: EpochMillis?
        var holding = false
        var silentTopics: [Substring: [String]] = [:]
        var delivering: Set<Substring> = []
        for key in assigned {
            let topic = Self.topic(ofKey: key)
            guard idle(key, now: now) else {
                holding = true
                delivering.insert(topic)
                guard let mark = clock.highWater[key] else { return nil }
                slowest = min(slowest ?? mark, mark)
                continue
            }
            silentTopics[topic, default: []].append(key)
        }
        for (topic, keys) in silentTopics where !delivering.contains(topic) {
            guard let lastHeard = keys.compactMap({ lastActivity[$0] }).max(), now - lastHeard <= topicIdleAfter else { continue }
            // A topic that has delivered nothing yet (a city without context feeds, or ingest still
            // waiting to emit its first context) holds nothing: waiting for it would stall the
            // first steps of every start for `topicIdleAfter`.
            guard let newest = keys.compactMap({ clock.highWater[$0] }).max() else { continue }
            holding = true
            slowest = min(slowest ?? newest, newest)
        }
        return holding ? slowest : clock.highWater.values.max()
    }
}
