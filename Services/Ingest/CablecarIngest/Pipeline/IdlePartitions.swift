import CablecarDomain
import CablecarService

extension PartitionBacklog {
    /// Partitions that would count as idle by silence alone: no accepted reading for the idle
    /// period (or, never having written progress, none since `startedAt`). `progress` and
    /// `expected` are per stream.
    static func idleCandidates(
        _ progress: [String: [String: PartitionProgress]], expected: [Feed.Stream: Set<String>], idleAfterMillis: Int64?,
        startedAt: EpochMillis, now: EpochMillis
    ) -> Set<String> {
        guard let idle = idleAfterMillis else { return [] }
        var candidates: Set<String> = []
        for stream in Feed.Stream.allCases {
            let partitions = progress[stream.rawValue] ?? [:]
            for (name, partition) in partitions where now - max(partition.activeAt, startedAt) > idle { candidates.insert(name) }
            if now - startedAt > idle { candidates.formUnion((expected[stream] ?? []).subtracting(partitions.keys)) }
        }
        return candidates
    }
}

/// Partitions a sparse feed has left behind (city events): their newest event time more than
/// the allowed lateness behind the newest of their stream, and silent for a short spell since
/// they fell behind. On a fast replay the idle period of silence spans hours of event time, and
/// the context watermark stood still for it after every city event while traffic went on.
///
/// Being behind alone is not enough: when a paused stream resumes, or a producer's partitions
/// are delivered one after another, the first partition to get new records is ahead of the
/// others for a moment, and the others, read to their end, would count as idle and their
/// on-time readings would arrive after their intervals were emitted. The spell is counted from
/// the later of falling behind and the last accepted reading, so a feed that keeps delivering,
/// however far behind, keeps holding. Like silence, being behind is judged only for partitions
/// read to their end (the caller asks the broker).
///
/// A raw partition that has never carried an accepted reading (an events partition whose
/// neighborhoods have had no event yet) is as far behind as a partition can be, once its stream
/// has progress: it gets the same spell. It used to hold its stream for the whole idle period
/// after every start, with nothing waiting in it: on a fast replay, a minute in which up to
/// twelve hours of the city's context were held back.
struct SparsePartitions: Sendable {
    let behindMillis: Int64
    let quietMillis: Int64
    /// Processing time each partition was first seen behind, in this run.
    private var behindSince: [String: EpochMillis] = [:]

    init(behindMillis: Int64, quietMillis: Int64) {
        self.behindMillis = behindMillis
        self.quietMillis = quietMillis
    }

    /// Partitions behind their stream and quiet for the spell as of `now`; remembers when each
    /// fell behind, and forgets those that caught up. `expected` lists every raw partition per
    /// stream; those without progress count as behind a stream that has some.
    mutating func candidates(
        _ progress: [String: [String: PartitionProgress]], expected: [Feed.Stream: Set<String>] = [:], startedAt: EpochMillis,
        now: EpochMillis
    ) -> Set<String> {
        var behind: Set<String> = []
        var candidates: Set<String> = []
        func quiet(_ name: String, lastActive: EpochMillis) {
            behind.insert(name)
            let since = behindSince[name] ?? now
            behindSince[name] = since
            if now - max(since, lastActive, startedAt) >= quietMillis { candidates.insert(name) }
        }
        for stream in Feed.Stream.allCases {
            let partitions = progress[stream.rawValue] ?? [:]
            guard let newest = partitions.values.map(\.newestEventTime).max() else { continue }
            for (name, partition) in partitions where newest - partition.newestEventTime > behindMillis {
                quiet(name, lastActive: partition.activeAt)
            }
            for name in (expected[stream] ?? []).subtracting(partitions.keys) { quiet(name, lastActive: startedAt) }
        }
        behindSince = behindSince.filter { behind.contains($0.key) }
        return candidates
    }
}
