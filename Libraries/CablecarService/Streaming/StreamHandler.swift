import CablecarKafka

/// What a service supplies to a `StreamWorker`: how to handle a batch and how to publish what
/// it produced. The worker owns fetching, idle ticks, stopping, retries and offsets.
///
/// The contract that makes retries safe: `handle` may see a batch again (after a failure, or
/// after a restart, when the broker redelivers it) and must then change nothing twice; the
/// worker marks a batch processed only after `publish` of its output returned.
public protocol StreamHandler: Sendable {
    /// CPU-only work on a fetched batch (decoding, validation), run as soon as it is fetched,
    /// beside the previous batch's handling.
    associatedtype Prepared: Sendable
    /// What a handled batch leaves to publish once its transaction committed.
    associatedtype Output: Sendable

    /// True when a batch's publishing may run beside the next batch's handling (the transaction
    /// is mostly the database, publishing mostly the broker). Batches are still marked
    /// processed in order, each only after its own publish.
    var publishesBesideNextBatch: Bool { get }

    func prepare(_ batch: [KafkaMessage]) -> Prepared

    /// Brings in-memory state in line with the database and sends what was committed but not
    /// sent. Called before the first batch and after every failure, before batches are handled
    /// again, so it must be what a restart would do.
    func recover() async throws

    /// Handles one batch (typically one transaction). An empty batch is an idle tick: emit
    /// whatever became due while nothing arrived.
    func handle(_ batch: [KafkaMessage], prepared: Prepared, context: BatchContext) async throws -> Output

    /// Publishes (and flushes) what a committed batch produced.
    func publish(_ output: Output) async throws

    /// Releases what the handler holds (its producer) once the worker has ended, stopped or failed.
    func close() async
}

extension StreamHandler {
    public func close() async {}
}

/// What the worker knows about its consumer when a batch is handled.
public struct BatchContext: Sendable {
    public var assignment: Set<TopicPartition>
    public var rebalanceCount: Int
    /// The group's committed offsets (the next offset to read) of some partitions, negative
    /// where the group committed nothing: where a partition that has delivered nothing since
    /// this process started is read from.
    public var committedOffsets: @Sendable ([TopicPartition]) async throws -> [TopicPartition: Int64]

    public init(
        assignment: Set<TopicPartition>, rebalanceCount: Int,
        committedOffsets: @escaping @Sendable ([TopicPartition]) async throws -> [TopicPartition: Int64] = { _ in [:] }
    ) {
        self.assignment = assignment
        self.rebalanceCount = rebalanceCount
        self.committedOffsets = committedOffsets
    }
}
