import CRdKafka
import Foundation
import Logging
import Synchronization

/// What the consumer knows about its offsets and assignment, changed only under the lock of
/// `ConsumerState`.
struct ConsumerBook {
    /// Next offset to commit per partition, from `markProcessed`, not yet handed to librdkafka.
    var pendingOffsets: [TopicPartition: Int64] = [:]
    var assigned: Set<TopicPartition> = []
    var lastCommit = Date()
    /// Set by `abandon()`: from then on nothing commits, as after a crash.
    var commitsStopped = false
    var rebalances = 0
    /// True between an assignment from the group (possibly of no partitions) and the next
    /// revocation or failed rebalance: the member knows what it owns.
    var settled = false
    /// The partition marked last and its next offset, kept out of the dictionary: messages come
    /// in runs from one partition, and this spares a hash per message on the hot path.
    var recentPartition: TopicPartition?
    var recentOffset: Int64 = 0

    mutating func markProcessed(_ partition: TopicPartition, offset: Int64) {
        if let recent = recentPartition, recent == partition {
            recentOffset = max(recentOffset, offset + 1)
            return
        }
        foldRecentOffset()
        recentPartition = partition
        recentOffset = max(pendingOffsets[partition] ?? 0, offset + 1)
    }

    /// Moves the recent partition's offset into `pendingOffsets`.
    mutating func foldRecentOffset() {
        guard let recent = recentPartition else { return }
        pendingOffsets[recent] = max(pendingOffsets[recent] ?? 0, recentOffset)
        recentPartition = nil
    }

    /// The offsets to commit now (of owned partitions only), forgetting them.
    mutating func takeCommittable() -> [TopicPartition: Int64] {
        foldRecentOffset()
        let pending = commitsStopped ? [:] : pendingOffsets.filter { assigned.contains($0.key) }
        pendingOffsets.removeAll(keepingCapacity: true)
        lastCommit = Date()
        return pending
    }
}

/// State the consumer's C callbacks reach through librdkafka's opaque pointer.
final class ConsumerState: Sendable, KafkaLogOwner {
    let logger: Logger
    let buffer: MessageBuffer
    private let book = Mutex(ConsumerBook())

    var kafkaLogger: Logger { logger }

    init(logger: Logger, buffer: MessageBuffer) {
        self.logger = logger
        self.buffer = buffer
    }

    func markProcessed(_ partition: TopicPartition, offset: Int64) {
        book.withLock { $0.markProcessed(partition, offset: offset) }
    }

    /// One lock for a whole batch.
    func markProcessed(_ messages: [KafkaMessage]) {
        book.withLock { book in
            for message in messages { book.markProcessed(message.topicPartition, offset: message.offset) }
        }
    }

    var rebalanceCount: Int { book.withLock { $0.rebalances } }

    var assignment: Set<TopicPartition> { book.withLock { $0.assigned } }

    var hasSettledAssignment: Bool { book.withLock { $0.settled } }

    /// Commits processed offsets of owned partitions. Offsets of partitions no longer assigned
    /// are dropped: their new owner re-reads from the last commit (at-least-once).
    /// Returns `_NO_OFFSET` when there was nothing new to commit.
    @discardableResult
    func commitPendingOffsets(_ handle: OpaquePointer, synchronously: Bool) -> rd_kafka_resp_err_t {
        let pending = book.withLock { $0.takeCommittable() }
        guard !pending.isEmpty else { return RD_KAFKA_RESP_ERR__NO_OFFSET }
        guard let list = rd_kafka_topic_partition_list_new(Int32(pending.count)) else { return RD_KAFKA_RESP_ERR__NO_OFFSET }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in pending {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        let error = rd_kafka_commit(handle, list, synchronously ? 0 : 1)
        if error.isError {
            logger.warning(
                "Could not commit consumer offsets", metadata: ["error": "\(KafkaError(error, operation: "committing offsets"))"])
        }
        return error
    }

    func stopCommitting() {
        book.withLock { $0.commitsStopped = true }
    }

    /// True when the background commit interval has passed since the last commit.
    func commitIsDue(interval: TimeInterval) -> Bool {
        book.withLock { Date().timeIntervalSince($0.lastCommit) >= interval }
    }

    func handleRebalance(
        _ handle: OpaquePointer, _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let changed = partitionSet(partitions)
        // NULL while the group is being torn down (closing after the broker went away): the
        // eager calls are then the safe choice.
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        book.withLock { $0.rebalances += 1 }
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            book.withLock {
                $0.assigned.formUnion(changed)
                $0.settled = true
            }
            logger.info("Partitions assigned", metadata: ["partitions": "\(changed.sorted { $0.description < $1.description })"])
            let result = cooperative ? takeErrorCode(rd_kafka_incremental_assign(handle, partitions)) : rd_kafka_assign(handle, partitions)
            if result.isError {
                logger.error("Assigning partitions failed", metadata: ["error": "\(KafkaError(result, operation: "assigning partitions"))"])
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Commit what was processed before giving the partitions away, so their next owner
            // starts right after it; buffered-but-unprocessed messages go back to the group.
            commitPendingOffsets(handle, synchronously: true)
            let dropped = buffer.drop(partitions: changed)
            book.withLock {
                $0.assigned.subtract(changed)
                $0.settled = false
            }
            logger.info("Partitions revoked", metadata: ["partitions": "\(changed.count)", "droppedBuffered": "\(dropped)"])
            if cooperative {
                _ = takeErrorCode(rd_kafka_incremental_unassign(handle, partitions))
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        default:
            book.withLock { $0.settled = false }
            logger.error("Rebalance failed", metadata: ["error": "\(KafkaError(error, operation: "rebalancing the consumer group"))"])
            _ = rd_kafka_assign(handle, nil)
        }
    }

    private func partitionSet(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Set<TopicPartition> {
        var result = Set<TopicPartition>()
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            result.insert(TopicPartition(topic: String(cString: element.topic), partition: element.partition))
        }
        return result
    }
}

let consumerRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { handle, error, partitions, opaque in
        guard let handle, let partitions, let opaque else { return }
        Unmanaged<ConsumerState>.fromOpaque(opaque).takeUnretainedValue().handleRebalance(handle, error, partitions)
    }

/// Cooperative-protocol calls return an owned error object (or NULL); take its code and free it.
func takeErrorCode(_ error: OpaquePointer?) -> rd_kafka_resp_err_t {
    guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
    defer { rd_kafka_error_destroy(error) }
    return rd_kafka_error_code(error)
}
