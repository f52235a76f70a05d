import CablecarDomain

public enum FaultKind: String, Codable, Sendable, CaseIterable {
    case dropout, stuck, duplicate, late
    case outOfOrder = "out_of_order"
    case malformed, truncated
    case unknownID = "unknown_id"
    case impossibleValue = "impossible_value"
    case schemaViolation = "schema_violation"
    case futureTimestamp = "future_timestamp"
}

/// What ingest should do with a faulted record. Only `rejected` records carry a reason.
public enum ExpectedOutcome: String, Codable, Sendable, CaseIterable {
    /// Never published (sensor dropout): shows up as missing completeness, not as a record.
    case missing
    /// Accepted, and the sensor flagged for data quality (stuck values).
    case acceptedFlagged = "accepted_flagged"
    /// Counted as a duplicate by its idempotency key; not accepted twice, not rejected.
    case duplicate
    /// Accepted, though after its window was emitted: a late correction.
    case acceptedCorrection = "accepted_correction"
    /// Accepted normally (out of order, but within the allowed lateness).
    case accepted
    /// Sent to `obs.rejected` with `reason`.
    case rejected
}

/// One injected fault, as written to the ground-truth file.
///
/// `sequence` is the record's position in the simulation's publish-order output (all
/// topics together, 0-based), so a test can find the exact record; it is absent for
/// dropouts, which publish nothing.
public struct InjectedFault: Codable, Sendable, Hashable {
    public var kind: FaultKind
    public var topic: Topic
    /// The record's partition key (segment, route or neighborhood).
    public var key: String
    /// The sensor, vehicle, station or event the record speaks for.
    public var subject: String
    /// The event time the record carries (the forged one for `future_timestamp`).
    public var eventTime: EpochMillis
    public var publishTime: EpochMillis?
    public var sequence: Int?
    public var expected: ExpectedOutcome
    public var reason: RejectReason?
    /// Which variant: e.g. `negative_speed`, `nan_bare`, `missing_field:sensor_id`.
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case kind, topic, key, subject, sequence, expected, reason, detail
        case eventTime = "event_time"
        case publishTime = "publish_time"
    }
}
