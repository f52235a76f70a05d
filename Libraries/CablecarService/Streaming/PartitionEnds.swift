import CablecarKafka
import Foundation
import Logging
import Synchronization

/// Where each partition ends on the broker: what a stream asks before it lets a silent partition
/// count as idle. Silence alone is not idleness: a partition whose owner is slow, gone, or being
/// replaced in a rebalance is silent too, with its messages still waiting in Kafka (ingest's group
/// watermark, the feature store's availability clock).
public protocol PartitionEnds: Sendable {
    /// The next offset a producer will write, per partition, as the broker said at most
    /// `maximumAge` ago.
    func highWatermarks(of partitions: [TopicPartition], maximumAge: Duration) async throws -> [TopicPartition: Int64]
}

/// The partitions among `candidates` ("topic:partition") that hold messages nobody has handled:
/// the broker's end is past the highest handled offset.
public enum PartitionBacklog {
    public static func backlogged(candidates: Set<String>, handled: [String: Int64], ends: [TopicPartition: Int64]) -> Set<String> {
        var result: Set<String> = []
        for name in candidates {
            guard let partition = topicPartition(name) else { continue }
            // A partition the broker did not answer for is assumed to have messages waiting.
            guard let end = ends[partition] else {
                result.insert(name)
                continue
            }
            if end > (handled[name] ?? -1) + 1 { result.insert(name) }
        }
        return result
    }

    /// The candidates with messages waiting on the broker. A remembered end may only confirm a
    /// backlog (ends never move back); a partition that looks read to its end is asked about
    /// afresh, since an end remembered from before its latest messages were produced would
    /// let it pass as idle with those messages unhandled.
    public static func backlogged(
        _ candidates: Set<String>, handled: [String: Int64], ends source: any PartitionEnds, reuseFor reuse: Duration = .seconds(1)
    ) async throws -> Set<String> {
        let partitions = candidates.compactMap(topicPartition)
        let remembered = try await source.highWatermarks(of: partitions, maximumAge: reuse)
        var result = backlogged(candidates: candidates, handled: handled, ends: remembered)
        let unconfirmed = candidates.subtracting(result)
        guard !unconfirmed.isEmpty else { return result }
        let fresh = try await source.highWatermarks(of: unconfirmed.compactMap(topicPartition), maximumAge: .zero)
        result.formUnion(backlogged(candidates: unconfirmed, handled: handled, ends: fresh))
        return result
    }

    /// As `backlogged(_:handled:ends:reuseFor:)`, with every candidate taken to have messages
    /// waiting when the broker does not answer (a warning names what they hold back): waiting is
    /// the side to err on.
    public static func backloggedOrAll(
        _ candidates: Set<String>, handled: [String: Int64], ends source: any PartitionEnds, holding what: String, logger: Logger
    ) async -> Set<String> {
        guard !candidates.isEmpty else { return [] }
        do {
            return try await backlogged(candidates, handled: handled, ends: source)
        } catch {
            logger.warning(
                "Could not read the end offsets of silent partitions: they hold \(what) back until the broker answers",
                metadata: ["partitions": "\(candidates.sorted())", "error": "\(error)"])
            return candidates
        }
    }

    /// "topic:partition" split at its last colon (topic names have none, but prefixes might).
    public static func topicPartition(_ name: String) -> TopicPartition? {
        guard let colon = name.lastIndex(of: ":"), let number = Int32(name[name.index(after: colon)...]), number >= 0 else { return nil }
        return TopicPartition(topic: String(name[..<colon]), partition: number)
    }
}

/// `PartitionEnds` from the broker, through one admin client made on first use and kept. Answers
/// are reused for as long as the caller allows (see `PartitionBacklog.backlogged(_:handled:ends:)`).
public final class BrokerPartitionEnds: PartitionEnds, TopicEnds {
    private let client: KafkaClientConfiguration
    private let logger: Logger
    private struct Cache {
        var admin: KafkaAdmin?
        var ends: [TopicPartition: Int64] = [:]
        var askedAt: ContinuousClock.Instant?
    }

    private let cache = Mutex(Cache())

    public init(client: KafkaClientConfiguration, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func endOffsets(of topic: String, timeout: Duration) async throws -> [Int32: Int64] {
        let admin = try cache.withLock { cache in
            let admin = try cache.admin ?? KafkaAdmin(configuration: client, logger: logger)
            cache.admin = admin
            return admin
        }
        return try await admin.endOffsets(of: topic, timeout: timeout)
    }

    public func highWatermarks(of partitions: [TopicPartition], maximumAge: Duration) async throws -> [TopicPartition: Int64] {
        let (admin, cached) = try cache.withLock { cache -> (KafkaAdmin, [TopicPartition: Int64]?) in
            let admin = try cache.admin ?? KafkaAdmin(configuration: client, logger: logger)
            cache.admin = admin
            if let askedAt = cache.askedAt, ContinuousClock.now - askedAt < maximumAge, partitions.allSatisfy({ cache.ends[$0] != nil }) {
                return (admin, cache.ends)
            }
            return (admin, nil)
        }
        if let cached { return cached }
        let ends = try await admin.endOffsets(of: partitions, timeout: .seconds(2))
        cache.withLock {
            $0.ends = ends
            $0.askedAt = .now
        }
        return ends
    }
}
