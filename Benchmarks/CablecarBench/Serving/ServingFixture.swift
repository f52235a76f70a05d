import CablecarDomain
import CablecarFeatures
import CablecarForecasting
import CablecarSimulation
import Foundation

/// What both servers of the serving benchmark load: a ridge model fitted on simulated days of the
/// whole city (the artifact the trainer would register) and the online feature vectors of the
/// newest step, with what the peer needs to read them as the forecaster does.
struct ServingFixture {
    static let artifactFile = "model.json"
    static let featuresFile = "online.json"

    /// The online answer for every segment, plus the city's segments and where the last
    /// observed speed and flow sit among the features.
    struct OnlineFile: Codable {
        var featureNames: [String]
        var featureVersions: [String: Int]
        var vectors: [OnlineFeatureVector]
        var segments: [String: String]
        var lastSpeedIndex: Int?
        var lastFlowIndex: Int?

        enum CodingKeys: String, CodingKey {
            case featureNames = "feature_names"
            case featureVersions = "feature_versions"
            case vectors, segments
            case lastSpeedIndex = "last_speed_index"
            case lastFlowIndex = "last_flow_index"
        }

        var response: OnlineFeatureResponse {
            OnlineFeatureResponse(featureNames: featureNames, featureVersions: featureVersions, vectors: vectors, missing: [])
        }
    }

    let directory: URL
    let sha256: String
    let segments: [String]
    let featureCount: Int

    var artifact: URL { directory.appendingPathComponent(Self.artifactFile) }
    var features: URL { directory.appendingPathComponent(Self.featuresFile) }

    /// Simulates `days`, builds the feature snapshot, fits the model and writes both files.
    static func make(days: Int, in directory: URL) async throws -> ServingFixture {
        let clock = ContinuousClock.now
        let city = try CityDefinition.bundledDefault()
        let observations = try TruthObservations.simulate(SimulationConfiguration(city: city, days: days, seed: 1))
        let source = try InProcessSnapshotSource(city: city, traffic: observations.traffic, context: observations.context)
        let step = Interval.lengthMillis
        let first = observations.traffic.map(\.eventTime).min() ?? 0
        let last = observations.traffic.map(\.eventTime).max() ?? 0
        let snapshot = try await source.snapshot(
            SnapshotRequest(start: (first / step + 1) * step, end: (last / step) * step, stepMillis: step))
        let parameters = ModelParameters()
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        let model = try RidgeForecastModel.fit(data, split: split, parameters: parameters)
        let bytes = try model.artifact()

        guard let newest = snapshot.rows.map(\.timestamp).max() else {
            throw BenchError("the simulated snapshot has no rows")
        }
        let vectors = snapshot.rows.filter { $0.timestamp == newest }.map {
            OnlineFeatureVector(segmentID: $0.segmentID, neighborhood: $0.neighborhood, timestamp: $0.timestamp, values: $0.values)
        }
        let names = snapshot.featureNames
        let online = OnlineFile(
            featureNames: names, featureVersions: snapshot.featureVersions, vectors: vectors,
            segments: Dictionary(city.segments.map { ($0.id, $0.neighborhood) }, uniquingKeysWith: { first, _ in first }),
            lastSpeedIndex: ModelParameters.defaultLastSpeedFeatures.lazy.compactMap { names.firstIndex(of: $0) }.first,
            lastFlowIndex: ModelParameters.defaultLastFlowFeatures.lazy.compactMap { names.firstIndex(of: $0) }.first)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent(artifactFile))
        try JSONEncoder().encode(online).write(to: directory.appendingPathComponent(featuresFile))
        let fixture = ServingFixture(
            directory: directory, sha256: ArtifactCodec.sha256Hex(bytes), segments: vectors.map(\.segmentID).sorted(),
            featureCount: names.count)
        print(
            "fixture: \(days) simulated days, \(model.solutions.count + model.fallbackSolutions.count) ridge models over \(names.count) features, "
                + "artifact \(bytes.count / 1024) KiB, \(vectors.count) segments online, in \(ContinuousClock.now - clock)")
        return fixture
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
