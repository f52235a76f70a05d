import CablecarDomain
import CablecarFeatureClient
import CablecarFeatures
import CablecarForecasting
import CablecarService

/// The newest online feature vectors of some segments: the seam between serving and the
/// feature store (the store's online API in production, an in-process source in tests).
public protocol FeatureSource: Sendable {
    func online(segments: [String]) async throws -> OnlineFeatureResponse
}

/// The feature store's online API through `FeatureClient` and its TTL cache: a vector is reused
/// from memory for CABLECAR_FORECAST_FEATURE_CACHE_MS, so a burst of requests for the same
/// segments costs one round trip. A store that does not answer within `timeout`
/// (CABLECAR_FORECAST_FEATURES_TIMEOUT_MS) counts as unavailable: the forecast falls back instead
/// of waiting out the HTTP client's minute while the store waits on its database.
public struct FeatureClientSource: FeatureSource {
    public let client: FeatureClient
    public let timeout: Duration

    public init(client: FeatureClient, timeout: Duration = .seconds(2)) {
        self.client = client
        self.timeout = timeout
    }

    public func online(segments: [String]) async throws -> OnlineFeatureResponse {
        let client = self.client
        return try await withTimeLimit(timeout, "the feature store's online API") { try await client.online(segments: segments) }
    }
}

/// One request's features, indexed by segment, with where the last observed speed and flow sit.
struct FeatureBatch: Sendable {
    let featureNames: [String]
    let vectors: [String: OnlineFeatureVector]
    let lastSpeedIndex: Int?
    let lastFlowIndex: Int?

    init(_ response: OnlineFeatureResponse) {
        featureNames = response.featureNames
        vectors = Dictionary(
            response.vectors.map { ($0.segmentID, $0) },
            uniquingKeysWith: { first, second in
                first.timestamp >= second.timestamp ? first : second
            })
        // The same rule the trainer applies to a snapshot (ModelParameters' defaults).
        lastSpeedIndex = ModelParameters.defaultLastSpeedFeatures.lazy.compactMap { response.featureNames.firstIndex(of: $0) }.first
        lastFlowIndex = ModelParameters.defaultLastFlowFeatures.lazy.compactMap { response.featureNames.firstIndex(of: $0) }.first
    }

    static let empty = FeatureBatch(OnlineFeatureResponse(featureNames: [], featureVersions: [:], vectors: [], missing: []))

    var newestStep: EpochMillis? { vectors.values.map(\.timestamp).max() }
}
