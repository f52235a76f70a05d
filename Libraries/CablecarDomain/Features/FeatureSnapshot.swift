/// The contract between the feature store and its readers (the trainer, the forecast service):
/// a materialized, fingerprinted training set. The feature store produces it by point-in-time
/// retrieval; the trainer only consumes it, so the two never disagree on how a feature is made.

/// Which entities and instants a snapshot covers: every `stepMillis` in `[start, end)`.
public struct SnapshotRequest: Codable, Sendable, Hashable {
    /// Neighborhood names to include; `nil` means the whole city.
    public var neighborhoods: [String]?
    public var start: EpochMillis
    public var end: EpochMillis
    public var stepMillis: EpochMillis
    /// Feature names to include; `nil` means every current feature definition for segments.
    public var features: [String]?

    public init(
        neighborhoods: [String]? = nil, start: EpochMillis, end: EpochMillis,
        stepMillis: EpochMillis = Interval.lengthMillis, features: [String]? = nil
    ) {
        self.neighborhoods = neighborhoods
        self.start = start
        self.end = end
        self.stepMillis = stepMillis
        self.features = features
    }

    enum CodingKeys: String, CodingKey {
        case neighborhoods, start, end
        case stepMillis = "step_ms"
        case features
    }
}

/// One (segment, instant) row. `values[i]` is feature `featureNames[i]` as it was known at
/// `timestamp` (never a value that became available later; `nil` when missing or past its TTL).
///
/// `actualSpeedKmh` and `actualFlowVehiclesPerHour` are the labels: the observation of the
/// five-minute interval starting at `timestamp`, latest revision. They are not point-in-time
/// restricted (they are what a forecast issued earlier is scored against). A forecast issued at
/// `t` for horizon `h` is trained on the labels of the row at `t + h`.
public struct FeatureRow: Codable, Sendable, Hashable {
    public var segmentID: String
    public var neighborhood: String
    public var timestamp: EpochMillis
    public var values: [Double?]
    public var actualSpeedKmh: Double?
    public var actualFlowVehiclesPerHour: Double?

    public init(
        segmentID: String, neighborhood: String, timestamp: EpochMillis, values: [Double?],
        actualSpeedKmh: Double?, actualFlowVehiclesPerHour: Double?
    ) {
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.timestamp = timestamp
        self.values = values
        self.actualSpeedKmh = actualSpeedKmh
        self.actualFlowVehiclesPerHour = actualFlowVehiclesPerHour
    }

    enum CodingKeys: String, CodingKey {
        case segmentID = "segment_id"
        case neighborhood
        case timestamp = "ts"
        case values
        case actualSpeedKmh = "actual_speed_kmh"
        case actualFlowVehiclesPerHour = "actual_flow_veh_h"
    }
}

/// A materialized training set. `fingerprint` is the sha256 (hex) of the rows and the feature
/// versions: the same request over the same history always yields the same fingerprint, so a
/// training run can be reproduced exactly.
public struct FeatureSnapshot: Codable, Sendable {
    public var fingerprint: String
    public var request: SnapshotRequest
    public var featureNames: [String]
    /// Feature name → definition version used.
    public var featureVersions: [String: Int]
    public var rows: [FeatureRow]

    public init(
        fingerprint: String, request: SnapshotRequest, featureNames: [String], featureVersions: [String: Int],
        rows: [FeatureRow]
    ) {
        self.fingerprint = fingerprint
        self.request = request
        self.featureNames = featureNames
        self.featureVersions = featureVersions
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, request
        case featureNames = "feature_names"
        case featureVersions = "feature_versions"
        case rows
    }
}

/// Where training sets come from. The feature store's client implements it over HTTP; the
/// feature library implements it in-process for backfills and benchmarks.
public protocol FeatureSnapshotSource: Sendable {
    func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot

    /// The first and the newest materialized five-minute step, or nil when the source does not
    /// know (or has none yet).
    func materializedSteps() async throws -> ClosedRange<EpochMillis>?
}

extension FeatureSnapshotSource {
    public func materializedSteps() async throws -> ClosedRange<EpochMillis>? { nil }
}
