import CablecarDomain
import CablecarFeatures
import Logging
import PostgresNIO

/// Online batch get: the newest vector of up to `maxEntities` segments from the online store.
package struct OnlineHandler: Sendable {
    let computer: FeatureComputer
    let maxEntities: Int
    let database: PostgresClient
    let logger: Logger

    package init(computer: FeatureComputer, maxEntities: Int, database: PostgresClient, logger: Logger) {
        self.computer = computer
        self.maxEntities = maxEntities
        self.database = database
        self.logger = logger
    }

    package func handle(_ request: OnlineFeatureRequest) async throws(APIError) -> OnlineFeatureResponse {
        guard !request.segments.isEmpty else { throw APIError(400, "no_entities", "segments must name at least one segment") }
        guard request.segments.count <= maxEntities else {
            throw APIError(
                400, "too_many_entities", "at most \(maxEntities) segments per request (got \(request.segments.count)); split the batch")
        }
        let unknown = request.segments.filter { computer.neighborhood(of: $0) == nil }
        guard unknown.isEmpty else {
            throw APIError(404, "unknown_entities", "unknown segment(s): \(unknown.prefix(20).joined(separator: ", "))", unknown: unknown)
        }
        let selected: FeatureComputer
        do {
            selected = try computer.selecting(request.features)
        } catch {
            throw APIError(400, "unknown_features", "\(error)")
        }
        let indices = selected.featureNames.compactMap { computer.featureNames.firstIndex(of: $0) }
        let stored: [String: StoredVector]
        do {
            stored = try await RowStore.readOnline(Array(Set(request.segments)), on: database, logger: logger)
        } catch {
            throw APIError(503, "store_unavailable", "the online store could not be read: \(error)")
        }
        var vectors: [OnlineFeatureVector] = []
        var missing: [String] = []
        let featureSet = computer.featureSetID
        for segment in request.segments {
            // A vector from another feature set (definitions changed since) is not served as this one.
            guard let vector = stored[segment], vector.featureSet == featureSet else {
                missing.append(segment)
                continue
            }
            vectors.append(
                OnlineFeatureVector(
                    segmentID: segment, neighborhood: vector.neighborhood, timestamp: vector.timestamp,
                    values: VectorCodec.decode(vector.vals, picking: indices)))
        }
        return OnlineFeatureResponse(
            featureNames: selected.featureNames, featureVersions: selected.featureVersions, vectors: vectors, missing: missing)
    }
}
