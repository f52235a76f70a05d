import CablecarDomain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The training queue in `trainer_requests` (migration 0006). Enqueueing is idempotent by request
/// id; claiming takes the oldest queued request (or one whose worker's lease ran out) with
/// `FOR UPDATE SKIP LOCKED`, so any number of trainers share the queue and each request runs on
/// one worker at a time.
public struct RequestQueue: Sendable {
    public let database: PostgresClient
    public let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Adds the request unless its id is already known; true when it was new.
    @discardableResult
    public func enqueue(_ request: TrainingRequest, source: String) async throws -> Bool {
        let json = String(decoding: try Self.encoder.encode(request), as: UTF8.self)
        let rows = try await database.query(
            """
            INSERT INTO trainer_requests (request_id, request, source, status)
            VALUES (\(request.requestID), \(json)::jsonb, \(source), 'queued')
            ON CONFLICT (request_id) DO NOTHING
            RETURNING request_id
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        return inserted
    }

    /// How many requests wait to be claimed.
    public func queuedCount() async throws -> Int {
        let rows = try await database.query("SELECT count(*)::bigint FROM trainer_requests WHERE status = 'queued'", logger: logger)
        var count: Int64 = 0
        for try await value in rows.decode(Int64.self) { count = value }
        return Int(count)
    }

    /// What became of an alert's retraining request.
    public enum AlertEnqueueOutcome: Sendable, Equatable {
        /// Queued as a retraining of its own.
        case queued
        /// Another alert's retraining was still queued: this alert was merged into it (and the
        /// queued request moved to this alert's window when that is newer).
        case merged(into: String)
        /// The alert's request id is already known (a redelivered alert).
        case duplicate
    }

    /// Queues an alert's retraining unless another alert's retraining is still waiting; then the
    /// alert is recorded as merged into that one. An alert storm (one alert per neighborhood and
    /// metric within minutes) so trains one model on the newest data instead of one per alert,
    /// each on nearly the same window. A retraining already running is not merged into: it
    /// trains on data from before this alert.
    public func enqueueAlert(_ request: TrainingRequest) async throws -> AlertEnqueueOutcome {
        let json = String(decoding: try Self.encoder.encode(request), as: UTF8.self)
        return try await database.withTransaction(logger: logger) { connection in
            // One intake at a time decides, so two trainers never both queue a storm's first alert.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('trainer_requests.alert_merge'))", logger: logger)
            let known = try await connection.query(
                "SELECT 1 FROM trainer_requests WHERE request_id = \(request.requestID)", logger: logger)
            for try await _ in known { return .duplicate }
            let waiting = try await connection.query(
                """
                SELECT request_id, (request->>'end')::bigint FROM trainer_requests
                WHERE source = 'alert' AND status = 'queued' AND attempts = 0
                ORDER BY created_at, request_id LIMIT 1 FOR UPDATE
                """, logger: logger)
            var target: (id: String, end: Int64)?
            for try await (id, end) in waiting.decode((String, Int64).self) { target = (id, end) }
            guard let target else {
                try await connection.query(
                    """
                    INSERT INTO trainer_requests (request_id, request, source, status)
                    VALUES (\(request.requestID), \(json)::jsonb, 'alert', 'queued')
                    """, logger: logger)
                return .queued
            }
            if request.end > target.end {
                try await connection.query(
                    """
                    UPDATE trainer_requests SET request = request || jsonb_build_object(
                        'start', \(request.start), 'end', \(request.end), 'event_time', \(request.eventTime)), updated_at = now()
                    WHERE request_id = \(target.id)
                    """, logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO trainer_requests (request_id, request, source, status, merged_into, finished_at)
                VALUES (\(request.requestID), \(json)::jsonb, 'alert', 'merged', \(target.id), now())
                """, logger: logger)
            return .merged(into: target.id)
        }
    }

    /// Records a message that can never become a request (migration 0015), once per offset.
    public func recordRejected(topic: String, partition: Int32, offset: Int64, reason: String, payload: [UInt8]) async throws {
        try await database.query(
            """
            INSERT INTO trainer_rejected_messages (topic, kafka_partition, kafka_offset, reason, payload)
            VALUES (\(topic), \(partition), \(offset), \(String(reason.replacingOccurrences(of: "\u{0}", with: "\\0").prefix(2000))),
                \(ByteBuffer(bytes: payload)))
            ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
            """, logger: logger)
    }

    /// The recorded rejections, newest first.
    public func rejectedMessages(limit: Int = 100) async throws -> [(topic: String, offset: Int64, reason: String)] {
        var result: [(topic: String, offset: Int64, reason: String)] = []
        let rows = try await database.query(
            "SELECT topic, kafka_offset, reason FROM trainer_rejected_messages ORDER BY id DESC LIMIT \(Int64(max(1, min(limit, 10_000))))",
            logger: logger)
        for try await (topic, offset, reason) in rows.decode((String, Int64, String).self) {
            result.append((topic, offset, reason))
        }
        return result
    }

    /// A claimed request: run it, then `complete` or `fail` it.
    public struct Claim: Sendable {
        public var request: TrainingRequest
        public var attempts: Int
        /// The run of an earlier attempt whose worker stopped mid-run (crash), if it opened one.
        public var abandonedRunID: String?
    }

    /// Claims the next request for `worker`. A request whose lease expired after `maxAttempts`
    /// claims is failed here instead of being retried forever (a request that crashes its worker
    /// every time must not take the queue down with it).
    public func claim(worker: String, leaseSeconds: Int, maxAttempts: Int) async throws -> Claim? {
        try await database.withTransaction(logger: logger) { connection in
            let exhausted = try await connection.query(
                """
                UPDATE trainer_requests SET status = 'failed', finished_at = now(), updated_at = now(),
                    error = 'gave up after ' || attempts || ' attempts: the worker stopped (crash or lease expiry) each time'
                WHERE status = 'running' AND lease_expires_at < now() AND attempts >= \(maxAttempts)
                """, logger: logger)
            for try await _ in exhausted {}
            let rows = try await connection.query(
                """
                WITH next AS (
                    SELECT request_id, run_id AS previous_run FROM trainer_requests
                    WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
                    ORDER BY created_at, request_id
                    FOR UPDATE SKIP LOCKED
                    LIMIT 1)
                UPDATE trainer_requests AS t SET status = 'running', attempts = t.attempts + 1, claimed_by = \(worker),
                    run_id = NULL, lease_expires_at = now() + make_interval(secs => \(Double(leaseSeconds))), updated_at = now()
                FROM next WHERE t.request_id = next.request_id
                RETURNING t.request_id, t.request::text, t.attempts, next.previous_run
                """, logger: logger)
            var claimed: (id: String, json: String, attempts: Int32, runID: String?)?
            for try await (id, json, attempts, runID) in rows.decode((String, String, Int32, String?).self) {
                claimed = (id, json, attempts, runID)
            }
            guard let claimed else { return nil }
            do {
                let request = try JSONDecoder().decode(TrainingRequest.self, from: Data(claimed.json.utf8))
                return Claim(request: request, attempts: Int(claimed.attempts), abandonedRunID: claimed.runID)
            } catch {
                // A stored request this build cannot read fails with the reason instead of being
                // claimed again and again (it would block the queue).
                let reason = "stored request unreadable: \(error)"
                try await connection.query(
                    """
                    UPDATE trainer_requests SET status = 'failed', error = \(reason), finished_at = now(), updated_at = now()
                    WHERE request_id = \(claimed.id)
                    """, logger: logger)
                logger.warning(
                    "Stored training request unreadable; failed", metadata: ["request_id": "\(claimed.id)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// Records the run id as soon as the registry has it, so a crashed attempt's run can be found.
    public func attach(runID: String, to requestID: String) async throws {
        try await database.query(
            "UPDATE trainer_requests SET run_id = \(runID), updated_at = now() WHERE request_id = \(requestID)", logger: logger)
    }

    public func complete(_ requestID: String, worker: String, outcome: TrainingOutcome) async throws {
        let json = String(decoding: try Self.encoder.encode(outcome), as: UTF8.self)
        try await database.query(
            """
            UPDATE trainer_requests SET status = 'succeeded', run_id = \(outcome.runID), model_name = \(outcome.modelName),
                model_version = \(outcome.modelVersion), decision = \(outcome.decision), evaluation = \(json)::jsonb,
                error = NULL, finished_at = now(), updated_at = now()
            WHERE request_id = \(requestID) AND claimed_by = \(worker) AND status = 'running'
            """, logger: logger)
    }

    public func fail(_ requestID: String, worker: String, runID: String?, error: String) async throws {
        try await database.query(
            """
            UPDATE trainer_requests SET status = 'failed', run_id = COALESCE(\(runID), run_id), error = \(error),
                finished_at = now(), updated_at = now()
            WHERE request_id = \(requestID) AND claimed_by = \(worker) AND status = 'running'
            """, logger: logger)
    }

    /// Moves the lease of a request `worker` still holds `leaseSeconds` ahead (the heartbeat of a
    /// running request); false when the worker no longer holds it.
    public func renewLease(_ requestID: String, worker: String, leaseSeconds: Int) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE trainer_requests SET lease_expires_at = now() + make_interval(secs => \(Double(leaseSeconds))), updated_at = now()
            WHERE request_id = \(requestID) AND claimed_by = \(worker) AND status = 'running'
            RETURNING request_id
            """, logger: logger)
        var held = false
        for try await _ in rows { held = true }
        return held
    }

    /// Gives the request back to the queue (graceful shutdown mid-run).
    public func release(_ requestID: String, worker: String) async throws {
        try await database.query(
            """
            UPDATE trainer_requests SET status = 'queued', claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE request_id = \(requestID) AND claimed_by = \(worker) AND status = 'running'
            """, logger: logger)
    }

    public func status(_ requestID: String) async throws -> RequestStatus? {
        let rows = try await database.query(
            """
            SELECT request::text, source, status, attempts, run_id, model_name, model_version, decision, evaluation::text, error,
                merged_into
            FROM trainer_requests WHERE request_id = \(requestID)
            """, logger: logger)
        for try await (json, source, status, attempts, runID, modelName, modelVersion, decision, evaluation, error, mergedInto)
            in rows.decode((String, String, String, Int32, String?, String?, Int32?, String?, String?, String?, String?).self)
        {
            let decoder = JSONDecoder()
            return RequestStatus(
                requestID: requestID, state: RequestStatus.State(rawValue: status) ?? .failed, source: source,
                attempts: Int(attempts), request: try decoder.decode(TrainingRequest.self, from: Data(json.utf8)),
                runID: runID, modelName: modelName, modelVersion: modelVersion.map(Int.init), decision: decision,
                outcome: try evaluation.map { try decoder.decode(TrainingOutcome.self, from: Data($0.utf8)) }, error: error,
                mergedInto: mergedInto)
        }
        return nil
    }
}
