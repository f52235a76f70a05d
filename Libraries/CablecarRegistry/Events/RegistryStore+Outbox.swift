import CablecarDomain
import CablecarRegistryAPI
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

    /// Advisory lock key of the outbox sender (one per database, across processes).
    static let outboxLockKey: Int64 = 0x00CA_B1EC_A500_0005

    /// Publishes every pending outbox event, oldest first, until the outbox is empty or a send
    /// fails. One sender at a time (an advisory lock), so per-model order is kept; a caller that
    /// finds another sender active returns at once: that sender picks its rows up before it
    /// stops. Each batch is deleted in its own transaction once the broker acknowledged it.
    @discardableResult
    public func publishPendingEvents(batch: Int = 500) async throws -> Int {
        guard let events else { return 0 }
        // A sender may be just finishing as our row commits; a few short retries close that
        // window (the outbox relay covers anything left).
        var total = 0
        for attempt in 0..<3 {
            guard let (sent, clean) = try await drainOutbox(events, batch: batch) else {
                try await Task.sleep(for: .milliseconds(20 * (attempt + 1)))
                continue
            }
            total += sent
            // A failed send means the broker is unwell: leave the rest to the relay.
            if !clean { break }
            if try await pendingEventCount() == 0 { break }
        }
        return total
    }

    /// Drains the outbox under the sender lock: events sent, and whether every send succeeded;
    /// nil when another sender holds the lock.
    private func drainOutbox(_ events: any ModelEventPublisher, batch: Int) async throws -> (Int, Bool)? {
        try await client.withConnection { connection -> (Int, Bool)? in
            var locked = false
            for try await value in try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.outboxLockKey))", logger: logger
            ).decode(Bool.self) {
                locked = value
            }
            guard locked else { return nil }
            do {
                var total = 0
                var clean = true
                while true {
                    let (sent, complete) = try await sendBatch(events, limit: batch, on: connection)
                    total += sent
                    clean = complete
                    if sent == 0 || !complete { break }
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.outboxLockKey))", logger: logger)
                return (total, clean)
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.outboxLockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Sends up to `limit` events and deletes the acknowledged ones; `complete` is false when a
    /// send failed (later events wait for it, to keep order).
    private func sendBatch(
        _ events: any ModelEventPublisher, limit: Int, on connection: PostgresConnection
    ) async throws -> (sent: Int, complete: Bool) {
        var rows: [(Int64, String, ByteBuffer)] = []
        for try await row in try await connection.query(
            "SELECT id, model_name, payload FROM registry_event_outbox ORDER BY id LIMIT \(limit)", logger: logger
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
                logger.warning("publishing a model event failed", metadata: ["model": "\(model)", "error": "\(error)"])
                break
            }
        }
        if !sent.isEmpty {
            try await connection.query("DELETE FROM registry_event_outbox WHERE id = ANY(\(sent))", logger: logger)
        }
        RegistryMetrics.eventsPublished(sent.count)
        return (sent.count, sent.count == rows.count)
    }

    /// Events waiting in the outbox (0 when the broker is keeping up).
    public func pendingEventCount() async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM registry_event_outbox", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }
}
