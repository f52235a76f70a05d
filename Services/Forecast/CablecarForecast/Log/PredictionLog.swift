import CablecarDomain
import CablecarKafka
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Where served predictions go. `record` never blocks and never throws: serving must not wait
/// for the log.
public protocol PredictionSink: Sendable {
    func record(_ predictions: [Forecast])
}

/// Writes every prediction to `forecast.predictions` (schema `Forecast` v2, key = segment id).
/// Requests append to a bounded in-memory buffer; a background loop encodes and hands them to
/// the producer. When the broker is slow or down the buffer fills; beyond its capacity the
/// oldest predictions are dropped and counted (`cablecar_forecast_predictions_log_dropped_total
/// {reason="buffer_full"}`), as are deliveries the producer gave up on (`reason="delivery_failed"`).
public final class PredictionLog: PredictionSink, Service, Sendable {
    /// Predictions not yet handed to the producer: `items[head...]`.
    private struct Pending {
        var items: [Forecast] = []
        var head = 0
        var dropped = 0
        var failedSeen = 0
    }

    private let producer: KafkaProducer
    private let topic: String
    private let capacity: Int
    private let logger: Logger
    private let pending = Mutex(Pending())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(producer: KafkaProducer, topic: String, capacity: Int, logger: Logger) {
        self.producer = producer
        self.topic = topic
        self.capacity = max(1, capacity)
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Predictions dropped so far because the buffer was full.
    public var dropped: Int { pending.withLock { $0.dropped } }
    /// Predictions waiting to be handed to the producer.
    public var buffered: Int { pending.withLock { $0.items.count - $0.head } }

    public func record(_ predictions: [Forecast]) {
        guard !predictions.isEmpty else { return }
        let (overflow, depth) = pending.withLock { pending -> (Int, Int) in
            pending.items.append(contentsOf: predictions)
            let excess = pending.items.count - pending.head - capacity
            if excess > 0 {
                pending.head += excess
                pending.dropped += excess
            }
            if pending.head > 4096, pending.head * 2 > pending.items.count {
                pending.items.removeFirst(pending.head)
                pending.head = 0
            }
            return (max(0, excess), pending.items.count - pending.head)
        }
        if overflow > 0 { ForecastMetrics.logDropped(overflow, reason: "buffer_full") }
        ForecastMetrics.logBuffered(depth)
        wake.yield()
    }

    private func take(upTo limit: Int) -> [Forecast] {
        pending.withLock { pending in
            let end = min(pending.items.count, pending.head + limit)
            let taken = Array(pending.items[pending.head..<end])
            pending.head = end
            if pending.head == pending.items.count {
                pending.items.removeAll(keepingCapacity: true)
                pending.head = 0
            }
            return taken
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in self.wakeups { await self.drain() }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await drain()
        await producer.close(timeout: .seconds(10))
        let lost = dropped
        logger.info("Prediction log stopped", metadata: ["dropped": "\(lost)"])
    }

    /// Hands everything buffered to the producer (waiting for room in its queue when it is full).
    func drain() async {
        while true {
            let batch = take(upTo: 1000)
            if batch.isEmpty { break }
            var sent = 0
            for (index, forecast) in batch.enumerated() {
                // Encoding a thousand predictions takes milliseconds; let requests in between.
                if index % 100 == 99 { await Task.yield() }
                do {
                    let value = try WireCodec.encode(forecast)
                    try await producer.enqueue(topic: topic, key: Array(forecast.segmentID.utf8), value: value)
                    sent += 1
                } catch {
                    ForecastMetrics.logDropped(1, reason: "unencodable")
                    logger.warning(
                        "A prediction could not be logged", metadata: ["segment": "\(forecast.segmentID)", "error": "\(error)"])
                }
            }
            ForecastMetrics.logged(sent)
            ForecastMetrics.logBuffered(buffered)
            let failed = producer.statistics.failed
            let newlyFailed = pending.withLock { pending in
                defer { pending.failedSeen = max(pending.failedSeen, failed) }
                return failed - pending.failedSeen
            }
            if newlyFailed > 0 {
                ForecastMetrics.logDropped(newlyFailed, reason: "delivery_failed")
                logger.warning("The broker did not take some predictions", metadata: ["failed_total": "\(failed)"])
            }
        }
    }
}
