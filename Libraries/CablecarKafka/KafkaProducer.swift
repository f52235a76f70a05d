import CRdKafka
import Foundation
import Logging
import Synchronization

/// An idempotent, batching Kafka producer.
///
/// Two ways to send:
/// - `send` awaits the broker's acknowledgement and returns where the message landed;
/// - `enqueue` returns once librdkafka holds the message, and `flush` later awaits every
///   outstanding delivery, throwing the first failure. Pipelines use this pair: produce a batch,
///   flush, and only then commit their input offsets (at-least-once without a round trip per message).
///
/// Keyed messages go to `murmur2(key) % partitions`, so one key's messages stay in order.
///
/// A librdkafka client that hit a fatal error is replaced by a new one (`ProducerClient`): an
/// idempotent producer becomes fatal when the broker forgot its sequence numbers, which is what
/// a restarted broker that keeps its state in memory does. Without this, every later produce
/// failed with `_FATAL` and the service stopped. Messages the old client still held are lost
/// with it, so the next `flush` (or the failing `send`) throws `KafkaProducerReset`, a retryable
/// error: callers send the batch again.
public final class KafkaProducer: Sendable {
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let client: Mutex<ProducerClient>
    /// Delivery counters and failures, shared by every client this producer had.
    private let state: ProducerState
    /// Set when a replaced client still held messages; the next flush reports their loss.
    private let replacedSinceFlush = Atomic<Bool>(false)
    /// Replaced clients, purged but kept (and polled) until this producer goes: destroying a
    /// librdkafka client while the process runs on is what the rest of this wrapper never does,
    /// and a client is small next to the risk of a call still reaching it.
    private let retired = Mutex<[ProducerClient]>([])
    /// When a timeout last replaced the client: at most once a minute, and only a few times in
    /// all, so a long outage (where every delivery times out) does not pile clients up.
    private let lastTimeoutReplacement = Mutex<ContinuousClock.Instant?>(nil)
    private static let timeoutReplacementsAtMost = 4

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        try KafkaLibrary.checkVersion()
        self.configuration = configuration
        self.logger = logger
        let state = ProducerState(logger: logger)
        self.state = state
        self.client = Mutex(try ProducerClient(configuration: configuration, state: state, logger: logger))
        logger.info(
            "Kafka producer started",
            metadata: ["librdkafka": "\(KafkaLibrary.versionString)", "brokers": "\(configuration.client.brokers)"])
    }

    private var current: ProducerClient { client.withLock { $0 } }

    /// The current client's teardown, for tests that watch where it runs.
    var clientTeardown: Teardown { current.teardown }

    /// Replaces `failed` if librdkafka declared it fatal, or if its deliveries timed out (and
    /// nobody replaced it yet); returns the error to throw: `KafkaProducerReset` after a fatal
    /// error, else `error` (a timeout stays a timeout: the caller retries it anyway).
    ///
    /// Timed-out deliveries count because an idempotent client whose broker restarted without
    /// its state can stay stuck for good: every message times out, never fatal, never delivered
    /// (`ProducerResetTests` saw ten flushes in a row time out against a broker that was up).
    /// A new client costs milliseconds. Messages the old client still held are lost with it; the
    /// next flush says so (`KafkaProducerReset`), and the caller sends its batch again.
    private func replacingIfFatal(_ failed: ProducerClient, after error: any Error) -> any Error {
        let fatal = failed.fatalError
        let timedOut = (error as? KafkaError)?.isTimeout == true
        guard fatal != nil || timedOut else { return error }
        let cause = fatal ?? "deliveries timed out: \(error)"
        if fatal == nil {
            let allowed = lastTimeoutReplacement.withLock { last -> Bool in
                let now = ContinuousClock.now
                guard last.map({ now - $0 >= .seconds(60) }) ?? true,
                    retired.withLock({ $0.count }) < Self.timeoutReplacementsAtMost
                else { return false }
                last = now
                return true
            }
            guard allowed else { return error }
        }
        do {
            let fresh = try ProducerClient(configuration: configuration, state: state, logger: logger)
            let replaced = client.withLock { current -> ProducerClient? in
                guard current === failed else { return nil }
                current = fresh
                return failed
            }
            if let replaced {
                let lost = replaced.outstanding
                if lost > 0 || fatal != nil { replacedSinceFlush.store(true, ordering: .sequentiallyConsistent) }
                logger.warning(
                    "Kafka producer could not go on; replaced it with a new client (undelivered messages are sent again by the caller)",
                    metadata: ["cause": "\(cause)", "lost_messages": "\(lost)"])
                replaced.purge()
                retired.withLock { $0.append(replaced) }
            }
        } catch {
            logger.error("Replacing a Kafka producer client failed", metadata: ["error": "\(error)"])
            return error
        }
        return fatal.map { KafkaProducerReset(cause: $0) } ?? error
    }

    /// Sends one message and awaits its delivery report.
    @discardableResult
    public func send(topic: String, key: [UInt8]?, value: [UInt8]) async throws -> DeliveryReport {
        let client = current
        do {
            return try await client.send(topic: topic, key: key, value: value)
        } catch {
            throw replacingIfFatal(client, after: error)
        }
    }

    /// Hands one message to librdkafka without waiting for the broker. When librdkafka's queue
    /// is full this waits for room, so a fast caller is slowed instead of buffering without bound.
    /// `timestamp` (ms since the epoch) sets the message's CreateTime; nil lets librdkafka use
    /// the current time. Replays set it to the simulated publish time, so consumers can judge
    /// "future" event times against when a record was published rather than the wall clock.
    public func enqueue(topic: String, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil) async throws {
        let client = current
        do {
            try await client.enqueue(topic: topic, key: key, value: value, timestamp: timestamp)
        } catch {
            throw replacingIfFatal(client, after: error)
        }
    }

    /// Waits until every enqueued message is delivered or failed. Throws the first delivery
    /// failure since the previous flush, or a timeout if messages are still outstanding, or
    /// `KafkaProducerReset` when the client was replaced since the previous flush.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let client = current
        do {
            try await client.flush(timeout: timeout)
        } catch {
            // This failure reports any replacement itself: the next flush starts afresh.
            let thrown = replacingIfFatal(client, after: error)
            replacedSinceFlush.store(false, ordering: .sequentiallyConsistent)
            throw thrown
        }
        if replacedSinceFlush.exchange(false, ordering: .sequentiallyConsistent) {
            throw KafkaProducerReset(cause: "an earlier fatal error")
        }
    }

    /// Messages handed to librdkafka and not yet acknowledged or failed.
    public var outstanding: Int { current.outstanding }

    public var statistics: ProducerStatistics { state.snapshot }

    /// Flushes, then stops the poll thread. Call before dropping the producer on shutdown.
    public func close(timeout: Duration = .seconds(30)) async {
        do {
            try await flush(timeout: timeout)
        } catch {
            logger.error("Kafka producer closed with undelivered messages", metadata: ["error": "\(error)"])
        }
        current.shutDown()
        for client in retired.withLock({ $0 }) { client.shutDown() }
    }
}

/// The producer's librdkafka client was replaced after a fatal error (`cause`): messages it held
/// are lost and must be sent again. Retryable.
public struct KafkaProducerReset: Error, Sendable, CustomStringConvertible {
    public let cause: String
    public var description: String {
        "the Kafka producer was replaced after a fatal error (\(cause)); messages enqueued before it must be sent again"
    }
}

/// One librdkafka producer client with its poll thread and topic handles: what `KafkaProducer`
/// replaces after a fatal error.
final class ProducerClient: Sendable {
    private let handle: RdKafkaHandle
    private let state: ProducerState
    private let topics: TopicHandleCache
    private let poller: PollThread
    private let logger: Logger
    let teardown = Teardown()

    init(configuration: KafkaProducerConfiguration, state: ProducerState, logger: Logger) throws {
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        self.handle = try RdKafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.properties) { conf in
            rd_kafka_conf_set_opaque(conf, opaque)
            rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
            rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        }
        // Log lines are served by the poll thread (see `KafkaConfiguration`), never on
        // librdkafka's own threads, which outlive nothing of ours.
        rd_kafka_set_log_queue(handle.pointer, nil)
        self.state = state
        self.logger = logger
        self.topics = TopicHandleCache(handle: handle)
        let pointer = handle
        self.poller = PollThread(name: "kafka-producer-poll") { rd_kafka_poll(pointer.pointer, 100) }
    }

    deinit {
        // The state is kept alive until the client is gone: librdkafka holds it as its opaque.
        let (handle, poller, topics, state) = (self.handle, self.poller, self.topics, self.state)
        teardown.start("kafka-producer-teardown") {
            poller.stop()
            topics.destroyAll()
            rd_kafka_destroy(handle.pointer)
            withExtendedLifetime(state) {}
        }
    }

    /// Sends one message and awaits its delivery report.
    func send(topic: String, key: [UInt8]?, value: [UInt8]) async throws -> DeliveryReport {
        let topicHandle = try topics.handle(for: topic)
        while true {
            do {
                return try await withCheckedThrowingContinuation { continuation in
                    let promise = Unmanaged.passRetained(DeliveryPromise(continuation))
                    let error = produceOnce(topicHandle, key: key, value: value, opaque: promise.toOpaque())
                    if error.isError {
                        promise.release()
                        continuation.resume(throwing: KafkaError(error, operation: "producing to topic \(topic)"))
                    }
                }
            } catch let error as KafkaError where error.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Hands one message to librdkafka without waiting for the broker. When librdkafka's queue
    /// is full this waits for room, so a fast caller is slowed instead of buffering without bound.
    /// `timestamp` (ms since the epoch) sets the message's CreateTime; nil lets librdkafka use
    /// the current time. Replays set it to the simulated publish time, so consumers can judge
    /// "future" event times against when a record was published rather than the wall clock.
    func enqueue(topic: String, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil) async throws {
        let topicHandle = try topics.handle(for: topic)
        while true {
            let error = produceOnce(topicHandle, key: key, value: value, opaque: nil, timestamp: timestamp)
            if !error.isError {
                // Serve the delivery reports that are ready, as a plain librdkafka producer does
                // after each produce: librdkafka then frees each delivered message's copy on the
                // thread that allocated it, not on the poll thread (cross-thread frees were a
                // fifth of the wrapper's producing cost on two cores).
                rd_kafka_poll(handle.pointer, 0)
                return
            }
            guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(error, operation: "producing to topic \(topic)")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    private func produceOnce(
        _ topicHandle: OpaquePointer, key: [UInt8]?, value: [UInt8], opaque: UnsafeMutableRawPointer?, timestamp: Int64? = nil
    ) -> rd_kafka_resp_err_t {
        if let timestamp {
            return produceWithTimestamp(topicHandle, key: key, value: value, opaque: opaque, timestamp: timestamp)
        }
        let result = value.withUnsafeBytes { valueBytes in
            withOptionalBytes(key) { keyBytes in
                rd_kafka_produce(
                    topicHandle, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                    UnsafeMutableRawPointer(mutating: valueBytes.baseAddress), valueBytes.count,
                    keyBytes?.baseAddress, keyBytes?.count ?? 0, opaque)
            }
        }
        guard result == 0 else { return rd_kafka_last_error() }
        state.recordEnqueued()
        return RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// `rd_kafka_produce` cannot carry a timestamp; `rd_kafka_produceva` (the array form of the
    /// variadic `producev`, which Swift cannot call) can.
    private func produceWithTimestamp(
        _ topicHandle: OpaquePointer, key: [UInt8]?, value: [UInt8], opaque: UnsafeMutableRawPointer?, timestamp: Int64
    ) -> rd_kafka_resp_err_t {
        let error: OpaquePointer? = value.withUnsafeBytes { valueBytes in
            withOptionalBytes(key) { keyBytes in
                var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 5)
                fields[0].vtype = RD_KAFKA_VTYPE_RKT
                fields[0].u.rkt = topicHandle
                fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                fields[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                fields[1].u.mem.size = valueBytes.count
                fields[2].vtype = RD_KAFKA_VTYPE_KEY
                fields[2].u.mem.ptr = keyBytes.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
                fields[2].u.mem.size = keyBytes?.count ?? 0
                fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                fields[3].u.i = RD_KAFKA_MSG_F_COPY
                fields[4].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                fields[4].u.i64 = timestamp
                if let opaque {
                    var opaqueField = rd_kafka_vu_t()
                    opaqueField.vtype = RD_KAFKA_VTYPE_OPAQUE
                    opaqueField.u.ptr = opaque
                    fields.append(opaqueField)
                }
                return rd_kafka_produceva(handle.pointer, fields, fields.count)
            }
        }
        guard let error else {
            state.recordEnqueued()
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
        let code = rd_kafka_error_code(error)
        rd_kafka_error_destroy(error)
        return code
    }

    /// Waits until every enqueued message is delivered or failed. Throws the first delivery
    /// failure since the previous flush, or a timeout if messages are still outstanding.
    func flush(timeout: Duration = .seconds(30)) async throws {
        let pointer = handle
        let milliseconds = timeout.kafkaMilliseconds
        let result = await runBlocking("kafka-flush") { rd_kafka_flush(pointer.pointer, milliseconds) }
        if let failure = state.takeFailure() { throw failure }
        if result.isError {
            throw KafkaError(result, operation: "flushing \(rd_kafka_outq_len(pointer.pointer)) outstanding messages")
        }
    }

    /// The fatal error librdkafka declared for this client, if any: it can never produce again.
    var fatalError: String? {
        var reason = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle.pointer, &reason, reason.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(String(cString: rd_kafka_err2name(code))): \(text)"
    }

    /// Stops the poll thread (the client is destroyed with the last reference).
    /// Ends polling after the poll under way; the teardown waits for it.
    func shutDown() { poller.requestStop() }

    /// Drops every message still queued or in flight (their delivery reports say so).
    func purge() {
        _ = rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }

    /// Messages handed to librdkafka and not yet acknowledged or failed.
    var outstanding: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    var statistics: ProducerStatistics { state.snapshot }

}

@inline(__always)
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
