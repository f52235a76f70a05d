import CablecarKafka

/// Where a `StreamWorker` gets its batches: a consumer-group member with at-least-once delivery.
/// `KafkaConsumer` is the real one; tests of the worker's logic use one in memory.
public protocol MessageSource: AnyObject, Sendable {
    func subscribe(to topics: [String]) throws
    /// Everything fetched and not yet handed out, waiting while there is nothing; nil once closed.
    func nextBatch() async throws -> [KafkaMessage]?
    /// The message (and every earlier one of its partition) may be committed.
    func markProcessed(_ message: KafkaMessage)
    /// The partitions this member owns right now.
    var assignment: Set<TopicPartition> { get }
    /// Rebalances seen so far: a change means partitions may have been handled elsewhere meanwhile.
    var rebalanceCount: Int { get }
    /// True once the group assigned this member its partitions (possibly none), until the next revocation.
    var hasSettledAssignment: Bool { get }
    /// Commits what was marked processed, leaves the group, ends `nextBatch`.
    func close() async
    /// Ends `nextBatch` without committing or leaving the group, as a crash would.
    func abandon()
}

extension KafkaConsumer: MessageSource {}
