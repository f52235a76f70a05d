import CRdKafka
import Foundation
import Logging

/// State the consumer's C callbacks reach through librdkafka's opaque pointer.
final class ConsumerState: @unchecked Sendable, KafkaLogOwner {
    let logger: Logger
    let buffer: MessageBuffer
    private let lock = NSLock()
    /// Next offset to commit per partition, from `markProcessed`, not yet handed to librdkafka.
    private var pendingOffsets: [TopicPartition: Int64] = [:]
    private var assigned: Set<TopicPartition> = []
    private var lastCommit = Date()
    /// Set by `abandon()`: from then on nothing commits, as after a crash.
    private var commitsStopped = false
    private(set) var rebalances = 0
    /// True between an assignment from the group (possibly of no partitions) and the next
    /// revocation or failed rebalance: the member knows what it owns.
    private var settled = false

    var kafkaLogger: Logger { logger }

    init(logger: Logger, buffer: MessageBuffer) {
        self.logger = logger
        self.buffer = buffer
    }

    /// The partition marked last and its next offset, kept out of the dictionary: messages come
    /// in runs from one partition, and this spares a hash per message on the hot path.
    private var recentPartition: TopicPartition?
    private var recentOffset: Int64 = 0

    func markProcessed(_ partition: TopicPartition, offset: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if let recent = recentPartition, recent == partition {
            recentOffset = max(recentOffset, offset + 1)
            return
        }
        foldRecentOffset()
        recentPartition = partition
        recentOffset = max(pendingOffsets[partition] ?? 0, offset + 1)
    }

    /// Moves the recent partition's offset into `pendingOffsets`. Call with the lock held.
    private func foldRecentOffset() {
        guard let recent = recentPartition else { return }
        pendingOffsets[recent] = max(pendingOffsets[recent] ?? 0, recentOffset)
        recentPartition = nil
    }

    var rebalanceCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return rebalances
    }

    var assignment: Set<TopicPartition> {
        lock.lock()
        defer { lock.unlock() }
        return assigned
    }

    var hasSettledAssignment: Bool {
        lock.lock()
        defer { lock.unlock() }
        return settled
    }

    /// Commits processed offsets of owned partitions. Offsets of partitions no longer assigned
    /// are dropped: their new owner re-reads from the last commit (at-least-once).
    /// Returns `_NO_OFFSET` when there was nothing new to commit.
    @discardableResult
    func commitPendingOffsets(_ handle: OpaquePointer, synchronously: Bool) -> rd_kafka_resp_err_t {
        lock.lock()
        foldRecentOffset()
        let pending = commitsStopped ? [:] : pendingOffsets.filter { assigned.contains($0.key) }
        pendingOffsets.removeAll(keepingCapacity: true)
        lastCommit = Date()
        lock.unlock()
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
        lock.lock()
        commitsStopped = true
        lock.unlock()
    }

    /// True when the background commit interval has passed since the last commit.
    func commitIsDue(interval: TimeInterval) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return Date().timeIntervalSince(lastCommit) >= interval
    }

    func handleRebalance(
        _ handle: OpaquePointer, _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let changed = partitionSet(partitions)
        // NULL while the group is being torn down (closing after the broker went away): the
        // eager calls are then the safe choice.
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        lock.lock()
        rebalances += 1
        lock.unlock()
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            lock.lock()
            assigned.formUnion(changed)
            settled = true
            lock.unlock()
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
            lock.lock()
            assigned.subtract(changed)
            settled = false
            lock.unlock()
            logger.info("Partitions revoked", metadata: ["partitions": "\(changed.count)", "droppedBuffered": "\(dropped)"])
            if cooperative {
                _ = takeErrorCode(rd_kafka_incremental_unassign(handle, partitions))
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        default:
            lock.lock()
            settled = false
            lock.unlock()
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
