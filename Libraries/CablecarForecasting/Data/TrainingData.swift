import CablecarDomain

/// A feature snapshot indexed for training: rows by (segment, step), labels, and the last
/// observed values the persistence baseline and the ridge model use.
///
/// A forecast issued at `t` for horizon `h` is scored against the label of row `(segment, t + h)`
/// (the contract in `FeatureSnapshot`).
public struct TrainingData: Sendable {
    public let featureNames: [String]
    public let fingerprint: String
    public let start: EpochMillis
    public let end: EpochMillis
    public let stepMillis: EpochMillis
    public let rows: [FeatureRow]
    /// Sorted segment ids and the neighborhood of each.
    public let segments: [String]
    public let segmentNeighborhoods: [String]
    /// Sorted neighborhood names.
    public let neighborhoods: [String]
    /// Per row: index into `segments` and into the time steps.
    let rowSegment: [Int32]
    let rowStep: [Int32]
    /// `grid[segment * steps + step]` = row index or -1.
    let grid: [Int32]
    let steps: Int
    /// Last observed values at each row's timestamp (see `ModelParameters.lastSpeedFeatures`).
    let lastSpeed: [Double?]
    let lastFlow: [Double?]
    /// Which source the last observed values came from, for the run's params.
    public let lastObservedSource: String
    /// The city's wall clock (`ModelParameters.timeZone`).
    public let clock: LocalClock

    public init(snapshot: FeatureSnapshot, parameters: ModelParameters = ModelParameters()) throws {
        let request = snapshot.request
        guard request.stepMillis > 0, request.end > request.start else {
            throw ForecastingError.invalidSnapshot("the snapshot's time range or step is empty")
        }
        guard !snapshot.rows.isEmpty else { throw ForecastingError.invalidSnapshot("the snapshot has no rows") }
        clock = try parameters.clock()
        featureNames = snapshot.featureNames
        fingerprint = snapshot.fingerprint
        start = request.start
        end = request.end
        stepMillis = request.stepMillis
        rows = snapshot.rows
        steps = Int((request.end - request.start + request.stepMillis - 1) / request.stepMillis)

        var neighborhoodOf: [String: String] = [:]
        for row in rows {
            guard row.values.count == featureNames.count else {
                throw ForecastingError.invalidSnapshot(
                    "row \(row.segmentID)@\(row.timestamp) has \(row.values.count) values for \(featureNames.count) features")
            }
            neighborhoodOf[row.segmentID] = row.neighborhood
        }
        segments = neighborhoodOf.keys.sorted()
        segmentNeighborhoods = segments.map { neighborhoodOf[$0] ?? "" }
        neighborhoods = Set(segmentNeighborhoods).sorted()
        let segmentIndex = Dictionary(uniqueKeysWithValues: segments.enumerated().map { ($1, $0) })

        var grid = Array(repeating: Int32(-1), count: segments.count * steps)
        var rowSegment = Array(repeating: Int32(0), count: rows.count)
        var rowStep = Array(repeating: Int32(0), count: rows.count)
        for (index, row) in rows.enumerated() {
            let offset = row.timestamp - request.start
            guard offset >= 0, offset % request.stepMillis == 0, row.timestamp < request.end,
                let segment = segmentIndex[row.segmentID]
            else {
                throw ForecastingError.invalidSnapshot(
                    "row \(row.segmentID)@\(row.timestamp) is outside the requested grid")
            }
            let step = Int(offset / request.stepMillis)
            grid[segment * steps + step] = Int32(index)
            rowSegment[index] = Int32(segment)
            rowStep[index] = Int32(step)
        }
        self.grid = grid
        self.rowSegment = rowSegment
        self.rowStep = rowStep

        let speedFeature = parameters.lastSpeedFeatures.lazy.compactMap { snapshot.featureNames.firstIndex(of: $0) }.first
        let flowFeature = parameters.lastFlowFeatures.lazy.compactMap { snapshot.featureNames.firstIndex(of: $0) }.first
        var lastSpeed = Array(repeating: Double?.none, count: rows.count)
        var lastFlow = lastSpeed
        let allRows = snapshot.rows
        for index in allRows.indices {
            let row = allRows[index]
            // Fallback: the label of the interval that ended at the issue time.
            let previous = Self.row(grid: grid, steps: steps, segment: Int(rowSegment[index]), step: Int(rowStep[index]) - 1)
            lastSpeed[index] = speedFeature.map { row.values[$0] } ?? previous.flatMap { allRows[$0].actualSpeedKmh }
            lastFlow[index] = flowFeature.map { row.values[$0] } ?? previous.flatMap { allRows[$0].actualFlowVehiclesPerHour }
        }
        self.lastSpeed = lastSpeed
        self.lastFlow = lastFlow
        lastObservedSource =
            "speed: \(speedFeature.map { snapshot.featureNames[$0] } ?? "previous interval label"); "
            + "flow: \(flowFeature.map { snapshot.featureNames[$0] } ?? "previous interval label")"
    }

    private static func row(grid: [Int32], steps: Int, segment: Int, step: Int) -> Int? {
        guard step >= 0, step < steps else { return nil }
        let value = grid[segment * steps + step]
        return value >= 0 ? Int(value) : nil
    }

    /// The row of `row`'s segment `offsetSteps` later, if present.
    public func row(after row: Int, steps offsetSteps: Int) -> Int? {
        Self.row(grid: grid, steps: steps, segment: Int(rowSegment[row]), step: Int(rowStep[row]) + offsetSteps)
    }

    public func label(_ row: Int, _ target: ForecastTarget) -> Double? {
        switch target {
        case .speed: return rows[row].actualSpeedKmh
        case .flow: return rows[row].actualFlowVehiclesPerHour
        }
    }

    public func segmentIndex(ofRow row: Int) -> Int { Int(rowSegment[row]) }

    /// The model input of row `row`, with features aligned to `alignment` (see `FeatureAlignment`).
    public func input(_ row: Int, alignment: FeatureAlignment? = nil) -> ModelInput {
        let source = rows[row]
        let features: [Double?]
        if let alignment { features = alignment.align(source.values) } else { features = source.values }
        return ModelInput(
            segmentID: source.segmentID, neighborhood: source.neighborhood, issueTime: source.timestamp,
            features: features, lastSpeedKmh: lastSpeed[row], lastFlowVehiclesPerHour: lastFlow[row])
    }

    /// Forecast examples issued in `period` for `horizonMinutes` whose label exists and lies in
    /// the same period (examples whose label would fall into the next period are purged, so a
    /// model never trains on a label from the period it is scored on). In row order.
    public func examples(in period: Range<EpochMillis>, target: ForecastTarget, horizonMinutes: Int) -> [Example] {
        let horizonMillis = EpochMillis(horizonMinutes) * 60_000
        let offset = Int(horizonMillis / stepMillis)
        var result: [Example] = []
        for index in rows.indices {
            let t = rows[index].timestamp
            guard period.contains(t), t + horizonMillis < period.upperBound,
                let labelRow = row(after: index, steps: offset), let y = label(labelRow, target)
            else { continue }
            result.append(Example(row: index, labelRow: labelRow, actual: y))
        }
        return result
    }

    public struct Example: Sendable {
        public var row: Int
        public var labelRow: Int
        public var actual: Double
    }
}

/// Maps a snapshot's feature order onto a model's (a production model may have been trained on
/// different features); a feature the snapshot lacks is missing (`nil`).
public struct FeatureAlignment: Sendable {
    let indices: [Int?]
    public let isIdentity: Bool

    public init(modelFeatures: [String], snapshotFeatures: [String]) {
        // The usual case (served features are the ones the model was trained on), checked first:
        // serving builds an alignment per request.
        guard modelFeatures != snapshotFeatures else {
            indices = []
            isIdentity = true
            return
        }
        let position = Dictionary(snapshotFeatures.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        indices = modelFeatures.map { position[$0] }
        isIdentity = false
    }

    public func align(_ values: [Double?]) -> [Double?] {
        if isIdentity { return values }
        return indices.map { index in index.flatMap { values[$0] } }
    }
}
