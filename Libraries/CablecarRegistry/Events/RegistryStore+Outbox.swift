import CablecarDomain
import Foundation
import PostgresNIO

extension RegistryStore {
    /// Writes events into the outbox, in the transaction that made the change.
    func enqueue(_ events: [ModelEvent], on connection: PostgresConnection) async throws {
        guard events.isEmpty == false else { return }
        for event in events {
            let payload = try WireCodec.encode(event)
            try await connection.query(
                "INSERT INTO registry_event_outbox (model_name, payload) VALUES (\(event.modelName), \(ByteBuffer(bytes: payload)))",
                logger: logger)
        }
    }

    /// Publishes what the outbox holds (oldest first) and deletes what the broker acknowledged.
    /// Failures are logged, not thrown: the registry change is committed, and the next change
    /// (or `publishPendingEvents`) retries. Returns how many events were published.
    @discardableResult
    func flushEvents(expected: Int) async -> Int {
        guard expected > 0 else { return 0 }
        do {
            return try await publishPendingEvents()
        } catch {
            logger.warning("model.events not yet published; they stay in the outbox", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// Publishes every pending outbox event. Rows stay locked while they are sent, so two
    /// registry processes never send the same rows at once and per-model order is kept.
    @discardableResult
    public func publishPendingEvents(batch: Int = 500) async throws -> Int {
        guard let events else { return 0 }
        return try await transaction { connection in
            var rows: [(Int64, String, ByteBuffer)] = []
            for try await row in try await connection.query(
                "SELECT id, model_name, payload FROM registry_event_outbox ORDER BY id LIMIT \(batch) FOR UPDATE", logger: logger
            ).decode((Int64, String, ByteBuffer).self) {
                rows.append(row)
            }
            var sent: [Int64] = []
            for (id, model, payload) in rows {
                do {
                    try await events.publish(modelName: model, payload: Array(payload.readableBytesView))
                    sent.append(id)
                } catch {
                    RegistryMetrics.eventPublishFailed()
                    // Keep order: stop at the first failure, later events wait for it.
                    logger.warning("publishing a model event failed", metadata: ["model": "\(model)", "error": "\(error)"])
                    break
                }
            }
            if !sent.isEmpty {
                try await connection.query("DELETE FROM registry_event_outbox WHERE id = ANY(\(sent))", logger: logger)
            }
            RegistryMetrics.eventsPublished(sent.count)
            return sent.count
        }
    }

    /// Events waiting in the outbox (0 when the broker is keeping up).
    public func pendingEventCount() async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM registry_event_outbox", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }
}
