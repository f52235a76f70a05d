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
