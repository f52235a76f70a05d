import CablecarDomain

/// Baseline (a): the mean of the target at the same segment and time of week as the forecast's
/// target time, learned on the fitting period.
public struct HistoricalAverageModel: ForecastModel {
    public static let kind = "historical_average"

    struct Body: Codable {
        var targets: [ForecastTarget]
        var horizons: [Int]
        var tables: [String: HistoricalAverageTable]
    }

    public let targets: [ForecastTarget]
    public let horizons: [Int]
    public var featureNames: [String] { [] }
    let tables: [ForecastTarget: HistoricalAverageTable]
    let segmentIndex: [String: Int]

    init(targets: [ForecastTarget], horizons: [Int], tables: [ForecastTarget: HistoricalAverageTable]) {
        self.targets = targets
        self.horizons = horizons
        self.tables = tables
        let segments = tables.values.first?.segments ?? []
        segmentIndex = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1, $0) })
    }

    public static func fit(_ data: TrainingData, split: TimeSplit, parameters: ModelParameters) throws -> Self {
        try parameters.validate()
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        for target in parameters.targets {
            let accumulator = HistoricalAverageAccumulator(data: data, target: target, period: split.fitting)
            guard accumulator.totalCount > 0 else {
                throw ForecastingError.emptyTrainingData("no \(target.rawValue) labels in the fitting period")
            }
            tables[target] = accumulator.table(segments: data.segments)
        }
        return Self(targets: parameters.targets, horizons: parameters.horizons, tables: tables)
    }

    public func predict(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Double? {
        guard let table = tables[target] else { return nil }
        return table.value(
            segment: segmentIndex[input.segmentID], time: input.issueTime + EpochMillis(horizonMinutes) * 60_000)
    }

    public func table(_ target: ForecastTarget) -> HistoricalAverageTable? { tables[target] }

    public func artifact() throws -> [UInt8] {
        try ArtifactCodec.encode(
            kind: Self.kind,
            body: Body(
                targets: targets, horizons: horizons,
                tables: Dictionary(uniqueKeysWithValues: tables.map { ($0.key.rawValue, $0.value) })))
    }

    public static func load(artifact: [UInt8]) throws -> Self {
        let body = try ArtifactCodec.decode(kind: kind, artifact, as: Body.self)
        var tables: [ForecastTarget: HistoricalAverageTable] = [:]
        for (name, table) in body.tables {
            guard let target = ForecastTarget(rawValue: name) else {
                throw ForecastingError.invalidArtifact("unknown target '\(name)'")
            }
            tables[target] = table
        }
        try HistoricalAverageTable.validate(tables.values)
        return Self(targets: body.targets, horizons: body.horizons, tables: tables)
    }
}
