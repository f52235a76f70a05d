/// Why a raw record was not accepted. The raw value is the machine-readable code on
/// `obs.rejected` and in data-quality tables; keep codes stable.
public enum RejectReason: String, Codable, Sendable, CaseIterable {
    case malformedJSON = "malformed_json"
    case unsupportedVersion = "unsupported_version"
    case missingField = "missing_field"
    case wrongType = "wrong_type"
    case notFinite = "not_finite"
    case outOfRange = "out_of_range"
    case unknownSensor = "unknown_sensor"
    case unknownRoute = "unknown_route"
    case unknownSegment = "unknown_segment"
    case unknownNeighborhood = "unknown_neighborhood"
    case futureTimestamp = "future_timestamp"
    case tooLate = "too_late"
    case oversized
}

/// `obs.rejected`: a dead letter. It keeps the original bytes so nothing is lost and a fixed
/// pipeline can replay it.
public struct RejectedRecord: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.rejected

    public var version: Int
    public var sourceTopic: String
    public var partition: Int32?
    public var offset: Int64?
    public var reason: RejectReason
    public var detail: String
    /// The record's bytes, base64.
    public var original: String
    /// Event time if it could be read, else the time of rejection.
    public var eventTime: EpochMillis
    public var rejectedAt: EpochMillis

    public init(
        version: Int = Self.currentVersion, sourceTopic: String, partition: Int32?, offset: Int64?,
        reason: RejectReason, detail: String, original: String, eventTime: EpochMillis, rejectedAt: EpochMillis
    ) {
        self.version = version
        self.sourceTopic = sourceTopic
        self.partition = partition
        self.offset = offset
        self.reason = reason
        self.detail = detail
        self.original = original
        self.eventTime = eventTime
        self.rejectedAt = rejectedAt
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case sourceTopic = "source_topic"
        case partition, offset, reason, detail, original
        case eventTime = "event_time"
        case rejectedAt = "rejected_at"
    }
}
