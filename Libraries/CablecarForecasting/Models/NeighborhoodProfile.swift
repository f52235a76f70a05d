import CablecarDomain

/// A day-type profile shared by a neighborhood's segments: the segment's mean level times its
/// neighborhood's shape at the local time of day (the sum of the neighborhood's observations in
/// the slots within `HistoricalAverageTable.profileWindowSteps` over the sum of their segments'
/// mean levels).
///
/// Why: a segment's own profile on two weeks of history averages one or two weekend days, each
/// carrying the sensor's noise and the day's own accidents. Demand in a neighborhood rises and
/// falls together, so its shape is pooled over dozens of segments and only the level is the
/// segment's own.
///
/// While training it answers leave-own-day-out queries (`value(around:)`): the shape without the
/// neighborhood's observations within the window's reach of the row in time, which lie after a
/// forecast's issue time.
struct NeighborhoodProfileAccumulator: Sendable {
    private static let cells = HistoricalAverageTable.profileCells
    private let window = HistoricalAverageTable.profileWindowSteps
    private let clock: LocalClock
    private let period: Range<EpochMillis>
    private let neighborhoodOfSegment: [Int]
    private let level: [Double]
    private let steps: Int
    /// Per (neighborhood, profile cell): the observations' sum and the sum of their segments' levels.
    private var observed: [Double]
    private var levels: [Double]
    /// The same sums per (neighborhood, time step), to leave a row's own day out.
    private var stepObserved: [Double]
    private var stepLevels: [Double]

    init(data: TrainingData, target: ForecastTarget, period: Range<EpochMillis>, segmentLevels: [Double]) {
        clock = data.clock
        self.period = period
        let index = Dictionary(uniqueKeysWithValues: data.neighborhoods.enumerated().map { ($1, $0) })
        neighborhoodOfSegment = data.segmentNeighborhoods.map { index[$0] ?? 0 }
        steps = data.steps
        level = segmentLevels
        let neighborhoods = data.neighborhoods.count
        observed = Array(repeating: 0, count: neighborhoods * Self.cells)
        levels = observed
        stepObserved = Array(repeating: 0, count: neighborhoods * data.steps)
        stepLevels = stepObserved
        for row in data.rows.indices {
            guard period.contains(data.rows[row].timestamp), let y = data.label(row, target), y.isFinite else { continue }
            let segment = data.segmentIndex(ofRow: row)
            guard level[segment].isFinite else { continue }
            let neighborhood = neighborhoodOfSegment[segment]
            let cell = neighborhood * Self.cells + HistoricalAverageTable.profileCell(clock.slotOfWeek(data.rows[row].timestamp))
            observed[cell] += y
            levels[cell] += level[segment]
            let step = neighborhood * steps + Int(data.rowStep[row])
            stepObserved[step] += y
            stepLevels[step] += level[segment]
        }
    }

    /// The served values, laid out like `HistoricalAverageTable.profileMeans`.
    func means(segments: Int) -> [Double] {
        (0..<segments * Self.cells).map { cell in
            let segment = cell / Self.cells
            let (sum, levelSum) = windowSums(neighborhood: neighborhoodOfSegment[segment], cell: cell % Self.cells)
            return levelSum > 0 && level[segment].isFinite ? level[segment] * sum / levelSum : .nan
        }
    }

    /// The value at `row`'s time without the neighborhood's observations of the same day within
    /// the window's reach of it.
    func value(around row: Int, data: TrainingData) -> Double? {
        let segment = data.segmentIndex(ofRow: row)
        let neighborhood = neighborhoodOfSegment[segment]
        let cell = HistoricalAverageTable.profileCell(clock.slotOfWeek(data.rows[row].timestamp))
        var (sum, levelSum) = windowSums(neighborhood: neighborhood, cell: cell)
        let step = Int(data.rowStep[row])
        for offset in -window...window {
            let other = step + offset
            guard other >= 0, other < steps else { continue }
            let time = data.start + EpochMillis(other) * data.stepMillis
            guard period.contains(time), HistoricalAverageTable.profileCell(clock.slotOfWeek(time)) / 288 == cell / 288 else {
                continue
            }
            sum -= stepObserved[neighborhood * steps + other]
            levelSum -= stepLevels[neighborhood * steps + other]
        }
        // The sums are of doubles taken away from each other: a window emptied by its own day is
        // a few ulps from zero, not zero.
        guard levelSum > 1e-9 * max(1, abs(level[segment])), level[segment].isFinite else { return nil }
        return level[segment] * sum / levelSum
    }

    /// The sums over the cells within the window of `cell` (wrapping at midnight within its day type).
    private func windowSums(neighborhood: Int, cell: Int) -> (observed: Double, levels: Double) {
        var sum = 0.0
        var levelSum = 0.0
        for other in HistoricalAverageTable.windowCells(around: neighborhood * Self.cells + cell) {
            sum += observed[other]
            levelSum += levels[other]
        }
        return (sum, levelSum)
    }
}
