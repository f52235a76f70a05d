import CRdKafka
import Foundation
import Logging
import Synchronization

/// State the C delivery callback reaches through librdkafka's opaque pointer.
final class ProducerState: Sendable {
    /// Counters are atomics, not fields under the failure lock: the producing task counts every
    /// enqueue and the poll thread every delivery, and one lock for both made them contend once
    /// per message.
    private let enqueued = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    /// The first failure since the last `takeFailure()`: `flush` reports it, so a caller that
    /// enqueued without awaiting still learns that something was not delivered.
    private let pendingFailure = Mutex<KafkaError?>(nil)
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func recordEnqueued() {
        enqueued.wrappingAdd(1, ordering: .relaxed)
    }

    func recordDelivery(_ failure: KafkaError?) {
        guard let failure else {
            delivered.wrappingAdd(1, ordering: .relaxed)
            return
        }
        failed.wrappingAdd(1, ordering: .relaxed)
        // Purged messages are those of a client `KafkaProducer` replaced, and the replacement was
        // reported already (the flush that replaced it threw, or the next throws
        // `KafkaProducerReset`). Their reports arrive later, from the retired client's poll
        // thread: kept, they failed the flush of the batch sent again in their place, which was
        // then sent a third time.
        guard !Self.purgeCodes.contains(failure.code) else { return }
        pendingFailure.withLock { pending in
            if pending == nil { pending = failure }
        }
    }

    private static let purgeCodes: Set<Int32> = [RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue]

    func takeFailure() -> KafkaError? {
        pendingFailure.withLock { pending in
            defer { pending = nil }
            return pending
        }
    }

    var snapshot: ProducerStatistics {
        ProducerStatistics(
            enqueued: enqueued.load(ordering: .relaxed), delivered: delivered.load(ordering: .relaxed),
            failed: failed.load(ordering: .relaxed))
    }
}

/// Carries one awaited send's continuation through librdkafka as the message's opaque pointer.
final class DeliveryPromise: @unchecked Sendable {
    let continuation: CheckedContinuation<DeliveryReport, any Error>
    init(_ continuation: CheckedContinuation<DeliveryReport, any Error>) { self.continuation = continuation }
}

/// librdkafka calls this on the thread that polls the producer, once per message.
let producerDeliveryCallback:
    @convention(c) (
        OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?
    ) -> Void = { _, messagePointer, opaque in
        guard let messagePointer, let opaque else { return }
        let state = Unmanaged<ProducerState>.fromOpaque(opaque).takeUnretainedValue()
        let message = messagePointer.pointee
        // The common case, a successful enqueue-only message, allocates nothing here.
        guard message.err.isError || message._private != nil else {
            state.recordDelivery(nil)
            return
        }
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        let failure: KafkaError? =
            message.err.isError ? KafkaError(message.err, operation: "delivering a message to topic \(topic)") : nil
        state.recordDelivery(failure)
        if let promisePointer = message._private {
            let promise = Unmanaged<DeliveryPromise>.fromOpaque(promisePointer).takeRetainedValue()
            if let failure {
                promise.continuation.resume(throwing: failure)
            } else {
                promise.continuation.resume(returning: DeliveryReport(topic: topic, partition: message.partition, offset: message.offset))
            }
        }
    }

/// Forwards librdkafka's own log lines into swift-log.
let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
    let logger = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue()
    guard let owner = logger as? KafkaLogOwner else { return }
    // librdkafka logs transient connection failures at error level; the operations that
    // actually fail surface as thrown KafkaErrors, so its lines are at most warnings here.
    let swiftLevel: Logger.Level = level <= 4 ? .warning : (level <= 6 ? .info : .debug)
    owner.kafkaLogger.log(
        level: swiftLevel, "\(text.map { String(cString: $0) } ?? "")",
        metadata: [
            "kafka.facility": "\(facility.map { String(cString: $0) } ?? "")", "kafka.client": "\(String(cString: rd_kafka_name(handle)))",
        ])
}

/// Anything whose pointer is librdkafka's opaque, so the log callback can find a logger.
protocol KafkaLogOwner: AnyObject {
    var kafkaLogger: Logger { get }
}

extension ProducerState: KafkaLogOwner {
    var kafkaLogger: Logger { logger }
}
