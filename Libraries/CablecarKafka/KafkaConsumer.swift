import CRdKafka
import Foundation
import Logging
import Synchronization

/// A consumer-group member with at-least-once delivery.
///
/// Iterate `messages`; after handling a message call `markProcessed(_:)`. Only marked offsets
/// are ever committed (in the background every `commitIntervalMilliseconds`, on `commit()`, on
/// partition revocation and on `close()`) by this type itself, never by librdkafka's auto-commit,
/// so a crash redelivers unfinished work instead of
/// losing it. A slow handler is not a memory problem: fetching pauses while
/// `bufferCapacity` messages wait.
public final class KafkaConsumer: Sendable {
    private let handle: RdKafkaHandle
    private let state: ConsumerState
    private let poller: PollThread
    private let closing = CloseOnce()
    private let logger: Logger
    public let groupID: String
    let teardown = Teardown()

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        try KafkaLibrary.checkVersion()
        let buffer = MessageBuffer(capacity: configuration.bufferCapacity)
        let state = ConsumerState(logger: logger, buffer: buffer)
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        let handle = try RdKafkaHandle(type: RD_KAFKA_CONSUMER, properties: configuration.properties) { conf in
            rd_kafka_conf_set_opaque(conf, opaque)
            rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
            rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        }
        // Log lines go to the consumer queue (see `KafkaConfiguration`), which only the poll
        // thread and close serve: no librdkafka thread calls into Swift on its own.
        rd_kafka_set_log_queue(handle.pointer, nil)
        rd_kafka_poll_set_consumer(handle.pointer)
        self.handle = handle
        self.state = state
        self.logger = logger
        self.groupID = configuration.groupID
        let batchLimit = min(500, buffer.capacity)
        let commitInterval = TimeInterval(configuration.commitIntervalMilliseconds) / 1000
        self.poller = PollThread(name: "kafka-consumer-poll") {
            if state.commitIsDue(interval: commitInterval) {
                state.commitPendingOffsets(handle.pointer, synchronously: false)
            }
            Self.pollOnce(handle: handle, state: state, batchLimit: batchLimit)
        }
        logger.info(
            "Kafka consumer started",
            metadata: ["librdkafka": "\(KafkaLibrary.versionString)", "group": "\(configuration.groupID)"])
    }

    deinit {
        // Closed: librdkafka has nothing left to do. Not closed (abandoned, or dropped without a
        // close): no close now either, so nothing is committed, as after a crash.
        // A close given up may still be running inside librdkafka: the client is left alone.
        // The state is kept alive until the client is gone: librdkafka holds it as its opaque.
        let (handle, poller, outcome, state) = (self.handle, self.poller, closing.outcome, self.state)
        teardown.start("kafka-consumer-teardown") {
            poller.stop()
            switch outcome {
            case .closed: rd_kafka_destroy(handle.pointer)
            case .notClosed: rd_kafka_destroy_flags(handle.pointer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
            case .givenUp: break
            }
            withExtendedLifetime(state) {}
        }
    }

    public func subscribe(to topics: [String]) throws {
        guard let list = rd_kafka_topic_partition_list_new(Int32(topics.count)) else {
            throw KafkaError.client("subscribing to \(topics)", reason: "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle.pointer, list)
        if error.isError { throw KafkaError(error, operation: "subscribing to \(topics.joined(separator: ","))") }
    }

    /// The messages of the subscribed topics, in partition order. Ends after `close()`.
    public var messages: KafkaMessageSequence { KafkaMessageSequence(buffer: state.buffer) }

    /// Everything fetched and not yet handed out (at most `bufferCapacity` messages), waiting while
    /// there is nothing; nil once closed. For pipelines that handle messages in batches (one
    /// transaction per batch); use either this or `messages`, not both.
    public func nextBatch() async throws -> [KafkaMessage]? {
        try await state.buffer.takeAll()
    }

    /// Records that `message` is handled; its offset (and every earlier one of its partition)
    /// becomes eligible for commit.
    public func markProcessed(_ message: KafkaMessage) {
        state.markProcessed(message.topicPartition, offset: message.offset)
    }

    /// As `markProcessed(_:)` for each of `messages`, taking the offsets' lock once.
    public func markProcessed(_ messages: [KafkaMessage]) {
        state.markProcessed(messages)
    }

    /// Commits every processed offset now, waiting for the broker's answer.
    public func commit() async throws {
        let handle = self.handle
        let state = self.state
        let error = await runBlocking("kafka-commit") {
            state.commitPendingOffsets(handle.pointer, synchronously: true)
        }
        // _NO_OFFSET: nothing new was processed since the last commit.
        if error.isError && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(error, operation: "committing offsets of group \(groupID)")
        }
    }

    /// Committed offsets of the current assignment (the next offset to read per partition).
    public func committedOffsets(timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64] {
        try await committedOffsets(of: Array(state.assignment), timeout: timeout)
    }

    /// The group's committed offsets of `partitions`, owned by this member or not (negative
    /// where the group committed nothing): what lag is measured against.
    public func committedOffsets(of partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        try await committedOffsets(of: partitions, timeout: .seconds(10))
    }

    public func committedOffsets(of partitions: [TopicPartition], timeout: Duration) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let handle = self.handle
        let milliseconds = timeout.kafkaMilliseconds
        return try await runBlocking("kafka-committed") { () -> Result<[TopicPartition: Int64], KafkaError> in
            guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
                return .failure(.client("reading committed offsets", reason: "out of memory"))
            }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) }
            let error = rd_kafka_committed(handle.pointer, list, milliseconds)
            if error.isError { return .failure(KafkaError(error, operation: "reading committed offsets")) }
            var result: [TopicPartition: Int64] = [:]
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[index]
                result[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
            return .success(result)
        }.get()
    }

    /// Rebalance callbacks seen (assignments and revocations): each revocation commits.
    public var rebalanceCount: Int { state.rebalanceCount }

    /// The partitions this member owns right now.
    public var assignment: Set<TopicPartition> { state.assignment }

    /// True once the group has assigned this member its partitions (possibly none, when the
    /// group has more members than partitions), until the next revocation: false while joining
    /// after a start or restart, and during a rebalance.
    public var hasSettledAssignment: Bool { state.hasSettledAssignment }

    /// Leaves the group cleanly: stops fetching, commits processed offsets, ends `messages`.
    /// A second caller waits until the first one's close is done: whoever awaited `close()`
    /// may then destroy the consumer or exit the process (exiting while librdkafka is still
    /// closing crashed shutdowns after a broker restart, when closing takes seconds).
    ///
    /// Bounded (15 s): with the broker hung (its process stopped, its connections open)
    /// librdkafka's close never returned (still waiting after 14 minutes), and a service told to
    /// stop never stopped (compose kills it 30 s after asking). Past the limit the close is given up: `messages` ends, what was
    /// processed since the last commit is redelivered to the group's next member (as after a
    /// crash), and the client is left to its thread, never destroyed.
    public func close() async {
        await close(within: .seconds(15))
    }

    /// `close()` with a limit of the caller's.
    public func close(within limit: Duration) async {
        guard await closing.begin() else { return }
        let handle = self.handle
        let state = self.state
        let poller = self.poller
        let error = await runBlocking("kafka-consumer-close", within: limit) {
            poller.stop()
            state.commitPendingOffsets(handle.pointer, synchronously: true)
            return rd_kafka_consumer_close(handle.pointer)
        }
        state.buffer.finish(nil)
        guard let error else {
            closing.giveUp()
            logger.warning(
                "Kafka consumer did not close within \(limit) (the broker is not answering); given up: offsets processed since the last commit are redelivered to the group's next member",
                metadata: ["group": "\(groupID)"])
            return
        }
        if error.isError {
            logger.warning(
                "Kafka consumer close reported an error", metadata: ["error": "\(KafkaError(error, operation: "closing consumer"))"])
        }
        closing.finish()
        logger.info("Kafka consumer closed", metadata: ["group": "\(groupID)"])
    }

    /// Stops without committing or leaving the group, as a crash would. For tests of recovery.
    public func abandon() {
        guard closing.abandon() else { return }
        state.stopCommitting()
        poller.requestStop()
        state.buffer.finish(nil)
    }

    private static func pollOnce(handle: RdKafkaHandle, state: ConsumerState, batchLimit: Int) {
        guard state.buffer.hasRoom else {
            // Backpressure: stop fetching. librdkafka's background thread keeps heartbeating;
            // a handler slower than max.poll.interval.ms leaves the group, as in any Kafka client.
            Thread.sleep(forTimeInterval: 0.005)
            return
        }
        var raws: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        raws.reserveCapacity(batchLimit)
        defer { for raw in raws { rd_kafka_message_destroy(raw) } }
        var timeout: Int32 = 100
        while raws.count < batchLimit, let raw = rd_kafka_consumer_poll(handle.pointer, timeout) {
            timeout = 0
            let code = raw.pointee.err
            guard code.isError else {
                raws.append(raw)
                continue
            }
            rd_kafka_message_destroy(raw)
            let error = KafkaError(code, operation: "consuming")
            if code == RD_KAFKA_RESP_ERR__FATAL {
                state.logger.critical("Fatal Kafka consumer error", metadata: ["error": "\(error)"])
                state.buffer.finish(error)
            } else {
                state.logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
            }
        }
        state.buffer.append(ConsumedBatch.copy(raws))
    }
}

/// Makes close and abandon run once: the first `begin` closes, later ones wait for it to finish.
final class CloseOnce: Sendable {
    private enum Phase {
        case open
        case closing(waiters: [CheckedContinuation<Void, Never>])
        case closed
        case abandoned
        case givenUp
    }

    enum Outcome {
        case closed
        case notClosed
        case givenUp
    }

    private let phase = Mutex(Phase.open)

    /// True for the caller that should close; others return once that close is done.
    func begin() async -> Bool {
        let first = phase.withLock { phase in
            guard case .open = phase else { return false }
            phase = .closing(waiters: [])
            return true
        }
        if first { return true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = phase.withLock { phase in
                guard case .closing(let waiters) = phase else { return false }
                phase = .closing(waiters: waiters + [continuation])
                return true
            }
            if !waiting { continuation.resume() }
        }
        return false
    }

    func finish() { end(as: .closed) }

    /// The close ran out of time: its waiters go on as if it were done.
    func giveUp() { end(as: .givenUp) }

    private func end(as ended: Phase) {
        let waiters = phase.withLock { phase -> [CheckedContinuation<Void, Never>] in
            guard case .closing(let waiters) = phase else { return [] }
            phase = ended
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// True when nothing was closed or abandoned before.
    func abandon() -> Bool {
        phase.withLock { phase in
            guard case .open = phase else { return false }
            phase = .abandoned
            return true
        }
    }

    var outcome: Outcome {
        phase.withLock { phase in
            switch phase {
            case .closed: .closed
            case .givenUp: .givenUp
            case .open, .closing, .abandoned: .notClosed
            }
        }
    }
}

public struct KafkaMessageSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage
    let buffer: MessageBuffer

    public func makeAsyncIterator() -> Iterator { Iterator(buffer: buffer) }

    public struct Iterator: AsyncIteratorProtocol {
        let buffer: MessageBuffer
        var pending: [KafkaMessage] = []
        var index = 0

        public mutating func next() async throws -> KafkaMessage? {
            if index == pending.count {
                guard let batch = try await buffer.takeAll() else { return nil }
                pending = batch
                index = 0
            }
            defer { index += 1 }
            return pending[index]
        }
    }
}
