import CablecarKafka

/// Where a `StreamWorker` gets its batches: a consumer-group member with at-least-once delivery.
/// `KafkaConsumer` is the real one; tests of the worker's logic use one in memory.
public protocol MessageSource: AnyObject, Sendable {
    func subscribe(to topics: [String]) throws
    /// Everything fetched and not yet handed out, waiting while there is nothing; nil once closed.
    func nextBatch() async throws -> [KafkaMessage]?
    /// The message (and every earlier one of its partition) may be committed.
    func markProcessed(_ message: KafkaMessage)
    /// As `markProcessed(_:)` for each of `messages`, in order.
    func markProcessed(_ messages: [KafkaMessage])
    /// The group's committed offsets (the next offset to read) of `partitions`, whoever owns
    /// them; negative where the group committed nothing.
    func committedOffsets(of partitions: [TopicPartition]) async throws -> [TopicPartition: Int64]
    /// The consumer group's id.
    var groupID: String { get }
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

extension MessageSource {
    public func markProcessed(_ messages: [KafkaMessage]) {
        for message in messages { markProcessed(message) }
    }
}

extension KafkaConsumer: MessageSource {}
