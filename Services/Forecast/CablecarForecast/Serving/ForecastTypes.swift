import CablecarDomain
import CablecarForecasting

/// A validated forecast request: known segments, supported horizons and targets.
public struct ForecastQuery: Sendable {
    public var requestID: String
    public var segments: [String]
    public var horizons: [Int]
    public var targets: [ForecastTarget]
    /// Serve exactly this loaded version (the Open Inference Protocol's /versions/{v} form)
    /// instead of routing production / canary.
    public var pinnedVersion: Int?

    public init(requestID: String, segments: [String], horizons: [Int], targets: [ForecastTarget], pinnedVersion: Int? = nil) {
        self.requestID = requestID
        self.segments = segments
        self.horizons = horizons
        self.targets = targets
        self.pinnedVersion = pinnedVersion
    }
}

/// One segment and horizon of an answer.
public struct ForecastItem: Codable, Sendable, Equatable {
    public var segmentID: String
    public var neighborhood: String
    public var horizonMinutes: Int
    public var issueTime: EpochMillis
    public var targetTime: EpochMillis
    /// Start of the five-minute step whose features were used; nil when there were none.
    public var featureStep: EpochMillis?
    public var speedKmh: Double?
    public var flowVehiclesPerHour: Double?
    public var modelName: String
    public var modelVersion: Int
    /// production, canary or fallback (never shadow).
    public var role: String
    public var fallback: Bool
    public var fallbackReason: String?
    /// The baseline (persistence or historical_average) that answered the speed or flow of this
    /// forecast because the model leaves this neighborhood and horizon to it (the trainer's
    /// baseline routes); nil when the model answered.
    public var speedServedBy: String?
    public var flowServedBy: String?

    enum CodingKeys: String, CodingKey {
        case segmentID = "segment_id"
        case neighborhood
        case horizonMinutes = "horizon_min"
        case issueTime = "issue_time"
        case targetTime = "target_time"
        case featureStep = "feature_step"
        case speedKmh = "speed_kmh"
        case flowVehiclesPerHour = "flow_veh_h"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case role, fallback
        case fallbackReason = "fallback_reason"
        case speedServedBy = "speed_served_by"
        case flowServedBy = "flow_served_by"
    }
}

/// The answer to a forecast request.
public struct ForecastAnswer: Codable, Sendable, Equatable {
    public var requestID: String
    public var issueTime: EpochMillis
    /// The newest feature step among the answer's segments (nil when none had features).
    public var featureStep: EpochMillis?
    public var forecasts: [ForecastItem]

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case issueTime = "issue_time"
        case featureStep = "feature_step"
        case forecasts
    }
}

/// Segments and neighborhoods requests may name.
public struct SegmentCatalog: Sendable {
    public let neighborhoodOf: [String: String]
    /// Neighborhood id or name → its segments, in the city's order.
    public let segmentsOf: [String: [String]]
    public let segmentIDs: [String]

    public init(segments: [(id: String, neighborhood: String)], neighborhoodNames: [String: String] = [:]) {
        var neighborhoodOf: [String: String] = [:]
        var segmentsOf: [String: [String]] = [:]
        var ids: [String] = []
        for segment in segments where neighborhoodOf[segment.id] == nil {
            neighborhoodOf[segment.id] = segment.neighborhood
            segmentsOf[segment.neighborhood, default: []].append(segment.id)
            ids.append(segment.id)
        }
        for (id, name) in neighborhoodNames where segmentsOf[name] == nil {
            segmentsOf[name] = segmentsOf[id]
        }
        self.neighborhoodOf = neighborhoodOf
        self.segmentsOf = segmentsOf
        self.segmentIDs = ids
    }

    public init(city: CityDefinition) {
        self.init(
            segments: city.segments.map { ($0.id, $0.neighborhood) },
            neighborhoodNames: Dictionary(city.neighborhoods.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first }))
    }
}

extension ForecastAnswer {
    /// The answer as JSON, written directly: the same document (keys sorted, nil fields left out)
    /// as its `Encodable` conformance, without Foundation's encoder on the request path.
    public func jsonBytes() throws -> [UInt8] {
        var output = JSONOutput(capacity: 128 + forecasts.count * 330)
        output.beginObject()
        output.field("feature_step", featureStep)
        output.beginArray("forecasts")
        for item in forecasts {
            output.beginObject()
            output.field("fallback", item.fallback)
            output.field("fallback_reason", item.fallbackReason)
            output.field("feature_step", item.featureStep)
            output.field("flow_served_by", item.flowServedBy)
            try output.field("flow_veh_h", item.flowVehiclesPerHour)
            output.field("horizon_min", item.horizonMinutes)
            output.field("issue_time", item.issueTime)
            output.field("model_name", item.modelName)
            output.field("model_version", item.modelVersion)
            output.field("neighborhood", item.neighborhood)
            output.field("role", item.role)
            output.field("segment_id", item.segmentID)
            try output.field("speed_kmh", item.speedKmh)
            output.field("speed_served_by", item.speedServedBy)
            output.field("target_time", item.targetTime)
            output.endObject()
        }
        output.endArray()
        output.field("issue_time", issueTime)
        output.field("request_id", requestID)
        output.endObject()
        return output.bytes
    }
}
