import CablecarDomain

/// `features.ready`: a five-minute step's feature rows are durable in the offline and online
/// stores. Small on purpose; readers fetch the rows through the feature API.
public struct FeaturesReady: Codable, Sendable, Hashable {
    public static let currentVersion = 1

    public var version: Int
    /// The instant whose rows are complete.
    public var timestamp: EpochMillis
    public var rows: Int
    /// sha256 of the ordered feature names and versions the rows were computed with.
    public var featureSet: String

    public init(version: Int = Self.currentVersion, timestamp: EpochMillis, rows: Int, featureSet: String) {
        self.version = version
        self.timestamp = timestamp
        self.rows = rows
        self.featureSet = featureSet
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case timestamp = "ts"
        case rows
        case featureSet = "feature_set"
    }
}

/// `POST /api/v1/features/online` body.
public struct OnlineFeatureRequest: Codable, Sendable, Hashable {
    public var segments: [String]
    /// Feature names to return; nil = all current features.
    public var features: [String]?

    public init(segments: [String], features: [String]? = nil) {
        self.segments = segments
        self.features = features
    }
}

/// The newest feature vector of one segment.
public struct OnlineFeatureVector: Codable, Sendable, Hashable {
    public var segmentID: String
    public var neighborhood: String
    /// The instant the vector was computed for.
    public var timestamp: EpochMillis
    public var values: [Double?]

    public init(segmentID: String, neighborhood: String, timestamp: EpochMillis, values: [Double?]) {
        self.segmentID = segmentID
        self.neighborhood = neighborhood
        self.timestamp = timestamp
        self.values = values
    }

    enum CodingKeys: String, CodingKey {
        case segmentID = "segment_id"
        case neighborhood
        case timestamp = "ts"
        case values
    }
}

/// `POST /api/v1/features/online` answer. `missing` lists known segments without a vector yet.
public struct OnlineFeatureResponse: Codable, Sendable, Hashable {
    public var featureNames: [String]
    public var featureVersions: [String: Int]
    public var vectors: [OnlineFeatureVector]
    public var missing: [String]

    public init(featureNames: [String], featureVersions: [String: Int], vectors: [OnlineFeatureVector], missing: [String]) {
        self.featureNames = featureNames
        self.featureVersions = featureVersions
        self.vectors = vectors
        self.missing = missing
    }

    enum CodingKeys: String, CodingKey {
        case featureNames = "feature_names"
        case featureVersions = "feature_versions"
        case vectors, missing
    }
}

/// First line of a streamed (NDJSON) historical retrieval: then one `FeatureRow` per line in
/// canonical order, then a `SnapshotTrailer` line.
public struct SnapshotHeader: Codable, Sendable, Hashable {
    public var request: SnapshotRequest
    public var featureNames: [String]
    public var featureVersions: [String: Int]
    public var expectedRows: Int

    public init(request: SnapshotRequest, featureNames: [String], featureVersions: [String: Int], expectedRows: Int) {
        self.request = request
        self.featureNames = featureNames
        self.featureVersions = featureVersions
        self.expectedRows = expectedRows
    }

    enum CodingKeys: String, CodingKey {
        case request
        case featureNames = "feature_names"
        case featureVersions = "feature_versions"
        case expectedRows = "expected_rows"
    }
}

/// Last line of a streamed retrieval. `error` is set when the stream failed after it began
/// (the rows before it are then incomplete and must not be used).
public struct SnapshotTrailer: Codable, Sendable, Hashable {
    public var fingerprint: String?
    public var rows: Int
    public var snapshotID: Int64?
    public var error: String?

    public init(fingerprint: String?, rows: Int, snapshotID: Int64?, error: String?) {
        self.fingerprint = fingerprint
        self.rows = rows
        self.snapshotID = snapshotID
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, rows, error
        case snapshotID = "snapshot_id"
    }
}

extension FeatureComputer {
    /// sha256 (hex) of the ordered feature names and versions (the fingerprint of zero rows):
    /// identifies the layout of stored vectors.
    public var featureSetID: String {
        SnapshotFingerprint.Hasher(featureNames: featureNames, featureVersions: featureVersions).finalize()
    }
}
