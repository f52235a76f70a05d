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

    /// Partitions whose newest event time is more than `behindMillis` behind the newest of their
    /// stream: a sparse feed (city events), or one read far ahead of. Read to its end, such a
    /// partition has nothing that could still be on time for the stream's current intervals, so
    /// it stops holding the watermark at once instead of after the idle period of silence: on a
    /// fast replay, that silence spans hours of event time, and the context watermark stood
    /// still after every city event while traffic went on (the feature store then waited for
    /// context, or dated it late). With its backlog unknown, it keeps holding.
    static func behindCandidates(_ progress: [String: [String: PartitionProgress]], behindMillis: Int64) -> Set<String> {
        var candidates: Set<String> = []
        for stream in Feed.Stream.allCases {
            let partitions = progress[stream.rawValue] ?? [:]
            guard let newest = partitions.values.map(\.newestEventTime).max() else { continue }
            for (name, partition) in partitions where newest - partition.newestEventTime > behindMillis { candidates.insert(name) }
        }
        return candidates
    }
}
