import CablecarDomain

/// Baseline (b): the last observed value as known at issue time, for every horizon. When a
/// segment has no recent observation it falls back to the segment's mean over the fitting period.
public struct PersistenceModel: ForecastModel {
    public static let kind = "persistence"

    struct Body: Codable {
        var targets: [ForecastTarget]
        var horizons: [Int]
        var segments: [String]
        var fallbacks: [String: PackedDoubles]
        var overall: [String: Double]
    }

    public let targets: [ForecastTarget]
    public let horizons: [Int]
    public var featureNames: [String] { [] }
    let segments: [String]
    let fallbacks: [ForecastTarget: [Double]]
    let overall: [ForecastTarget: Double]
    let segmentIndex: [String: Int]

    init(
        targets: [ForecastTarget], horizons: [Int], segments: [String], fallbacks: [ForecastTarget: [Double]],
        overall: [ForecastTarget: Double]
    ) {
        self.targets = targets
        self.horizons = horizons
        self.segments = segments
        self.fallbacks = fallbacks
        self.overall = overall
        segmentIndex = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1, $0) })
    }

    public static func fit(_ data: TrainingData, split: TimeSplit, parameters: ModelParameters) throws -> Self {
        try parameters.validate()
        var fallbacks: [ForecastTarget: [Double]] = [:]
        var overall: [ForecastTarget: Double] = [:]
        for target in parameters.targets {
            let accumulator = HistoricalAverageAccumulator(data: data, target: target, period: split.fitting)
            guard accumulator.totalCount > 0 else {
                throw ForecastingError.emptyTrainingData("no \(target.rawValue) labels in the fitting period")
            }
            fallbacks[target] = zip(accumulator.segmentSums, accumulator.segmentCounts).map { sum, count in
                count > 0 ? sum / Double(count) : Double.nan
            }
            overall[target] = accumulator.total / Double(accumulator.totalCount)
        }
        return Self(
            targets: parameters.targets, horizons: parameters.horizons, segments: data.segments, fallbacks: fallbacks,
            overall: overall)
    }

    public func predict(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Double? {
        if let last = input.lastObserved(target), last.isFinite { return last }
        if let segment = segmentIndex[input.segmentID], let value = fallbacks[target]?[segment], !value.isNaN {
            return value
        }
        return overall[target]
    }

    public func artifact() throws -> [UInt8] {
        try ArtifactCodec.encode(
            kind: Self.kind,
            body: Body(
                targets: targets, horizons: horizons, segments: segments,
                fallbacks: Dictionary(uniqueKeysWithValues: fallbacks.map { ($0.key.rawValue, PackedDoubles($0.value)) }),
                overall: Dictionary(uniqueKeysWithValues: overall.map { ($0.key.rawValue, $0.value) })))
    }

    public static func load(artifact: [UInt8]) throws -> Self {
        let body = try ArtifactCodec.decode(kind: kind, artifact, as: Body.self)
        var fallbacks: [ForecastTarget: [Double]] = [:]
        var overall: [ForecastTarget: Double] = [:]
        for (name, values) in body.fallbacks {
            guard let target = ForecastTarget(rawValue: name) else {
                throw ForecastingError.invalidArtifact("unknown target '\(name)'")
            }
            guard values.values.count == body.segments.count else {
                throw ForecastingError.invalidArtifact(
                    "\(values.values.count) '\(name)' segment means for \(body.segments.count) segments")
            }
            fallbacks[target] = values.values
            overall[target] = body.overall[name] ?? 0
        }
        guard Set(body.segments).count == body.segments.count else {
            throw ForecastingError.invalidArtifact("the artifact lists a segment twice")
        }
        return Self(
            targets: body.targets, horizons: body.horizons, segments: body.segments, fallbacks: fallbacks, overall: overall)
    }
}
