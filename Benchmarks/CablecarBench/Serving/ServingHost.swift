import ArgumentParser
import CablecarDomain
import CablecarFeatures
import CablecarForecast
import CablecarForecasting
import CablecarRegistryAPI
import CablecarService
import CablecarSimulation
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `cablecar-bench serving-host`: cablecar-forecast's serving parts (validator, forecaster, model
/// manager, routes, error and metrics middleware, the HTTP server every service runs), in a process
/// of their own so that its CPU and memory are measured alone. The model comes from an artifact
/// file, verified by its sha256 as the registry's are; the online features are held in memory
/// (as the peer holds them); predictions are counted instead of sent to the broker.
struct ServingHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serving-host", abstract: "Serve forecasts from an artifact file (started by `serving`).", shouldDisplay: false)

    @Option var directory: String
    @Option var sha256: String
    @Option var port: Int

    func run() async throws {
        // As cablecar-forecast's main does (before any other task of this process starts).
        EventLoopExecutor.install()
        Observability.bootstrap(level: .error, format: .json)
        let logger = Logger(label: "cablecar-forecast")
        let folder = URL(fileURLWithPath: directory)
        let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(ServingFixture.artifactFile)))
        let online = try JSONDecoder().decode(
            ServingFixture.OnlineFile.self, from: Data(contentsOf: folder.appendingPathComponent(ServingFixture.featuresFile)))
        let configuration = ForecastConfiguration(modelName: "traffic-forecast", clock: .features)
        let manager = ModelManager(
            source: ArtifactFileSource(modelName: configuration.modelName, bytes: bytes, sha256: sha256), logger: logger)
        guard await manager.refreshProduction() else {
            throw BenchError("the artifact was refused: \(await manager.lastError ?? "unknown reason")")
        }
        let components = ForecastService.Components(
            manager: manager, features: MemoryFeatures(online.response), sink: CountingSink(),
            catalog: SegmentCatalog(city: try CityDefinition.bundledDefault()), configuration: configuration, logger: logger)
        let router = Router(options: MethodNotAllowed.routerOptions)
        router.add(middleware: UnhandledErrorMiddleware(logger: logger))
        components.mount(on: router)
        OperationalRoutes.add(
            to: router, service: "cablecar-forecast", checks: [ModelReadiness(holder: manager.holder)], registry: Observability.registry)
        MethodNotAllowed.install(on: router)
        let application = Application(
            router: router, server: .cablecarHTTP1(idleTimeout: .seconds(60), requestReadTimeout: .seconds(60)),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "cablecar-forecast"), logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// One version, read from bytes in memory and checked against the sha256 it was given.
struct ArtifactFileSource: ModelSource {
    let modelName: String
    let bytes: [UInt8]
    let sha256: String

    var registered: ModelVersion {
        ModelVersion(
            modelName: modelName, version: 1, runID: nil, source: "file", artifactPath: ServingFixture.artifactFile,
            artifactSHA256: sha256, description: "", stage: .production, createdBy: "bench", createdAt: 0, updatedAt: 0, aliases: [],
            tags: [:])
    }

    func productionVersion() async throws -> ModelVersion? { registered }
    func version(_ number: Int) async throws -> ModelVersion? { number == 1 ? registered : nil }

    func load(_ version: ModelVersion) async throws -> LoadedModel {
        let digest = ArtifactCodec.sha256Hex(bytes)
        guard digest == sha256 else {
            throw ModelLoadError(reason: "corrupt_artifact", message: "the artifact hashes to \(digest), expected \(sha256)")
        }
        return LoadedModel(
            name: modelName, version: version.version, stage: .production, sha256: digest, model: try ModelCatalog.load(artifact: bytes))
    }
}

/// The newest vector of every segment, in memory.
struct MemoryFeatures: FeatureSource {
    let featureNames: [String]
    let featureVersions: [String: Int]
    let vectors: [String: OnlineFeatureVector]

    init(_ response: OnlineFeatureResponse) {
        featureNames = response.featureNames
        featureVersions = response.featureVersions
        vectors = Dictionary(response.vectors.map { ($0.segmentID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func online(segments: [String]) async throws -> OnlineFeatureResponse {
        var found: [OnlineFeatureVector] = []
        found.reserveCapacity(segments.count)
        var missing: [String] = []
        for segment in segments {
            if let vector = vectors[segment] { found.append(vector) } else { missing.append(segment) }
        }
        return OnlineFeatureResponse(featureNames: featureNames, featureVersions: featureVersions, vectors: found, missing: missing)
    }
}

/// Counts predictions instead of logging them.
final class CountingSink: PredictionSink {
    private let count = Atomic<Int>(0)

    func record(_ predictions: [Forecast]) { count.add(predictions.count, ordering: .relaxed) }
}
