import CablecarDomain

/// Mean of a target per segment and time-of-week slot (`Interval.slotOfWeek`, 2016 slots), with
/// the segment mean for slots never observed and the overall mean for unknown segments.
public struct HistoricalAverageTable: Codable, Sendable, Equatable {
    public static let slots = 2016

    public var segments: [String]
    /// `slotMeans[segment * 2016 + slot]`; NaN where the slot was never observed.
    public var slotMeans: PackedDoubles
    public var segmentMeans: PackedDoubles
    public var overallMean: Double

    enum CodingKeys: String, CodingKey {
        case segments
        case slotMeans = "slot_means"
        case segmentMeans = "segment_means"
        case overallMean = "overall_mean"
    }

    /// Checks the shape a lookup relies on, so that a damaged or hand-made artifact is refused
    /// when it is loaded instead of reading out of bounds when it serves.
    func validate(segmentsOf reference: HistoricalAverageTable? = nil) throws {
        let count = segments.count
        guard Set(segments).count == count else {
            throw ForecastingError.invalidArtifact("a historical-average table lists a segment twice")
        }
        if let reference, reference.segments != segments {
            throw ForecastingError.invalidArtifact("the historical-average tables of an artifact list different segments")
        }
        guard slotMeans.values.count == count * Self.slots, segmentMeans.values.count == count else {
            throw ForecastingError.invalidArtifact(
                "a historical-average table's means do not match its \(count) segments "
                    + "(\(Self.slots) week slots and one mean per segment)")
        }
    }

    /// Validates every table of an artifact against the first (models index segments once).
    static func validate(_ tables: some Collection<HistoricalAverageTable>) throws {
        let reference = tables.first
        for table in tables { try table.validate(segmentsOf: reference) }
    }

    public func value(segment: Int?, time: EpochMillis) -> Double {
        slotMean(segment: segment, time: time) ?? fallback(segment: segment)
    }

    /// The mean of the segment's observations in the slot of `time`; nil when there were none.
    public func slotMean(segment: Int?, time: EpochMillis) -> Double? {
        guard let segment else { return nil }
        let mean = slotMeans.values[segment * Self.slots + Interval.slotOfWeek(time)]
        return mean.isNaN ? nil : mean
    }

    /// What stands in for a slot never observed: the segment mean, or the overall mean.
    public func fallback(segment: Int?) -> Double {
        guard let segment else { return overallMean }
        let segmentMean = segmentMeans.values[segment]
        return segmentMean.isNaN ? overallMean : segmentMean
    }
}

/// Sums and counts behind a `HistoricalAverageTable`. While training it also answers
/// leave-one-out queries: the average at a row's own slot without that row's label, so a model
/// that uses the historical average as a feature does not see its own target through it.
struct HistoricalAverageAccumulator: Sendable {
    let segmentCount: Int
    var sums: [Double]
    var counts: [Int32]
    var segmentSums: [Double]
    var segmentCounts: [Int]
    var total = 0.0
    var totalCount = 0

    init(data: TrainingData, target: ForecastTarget, period: Range<EpochMillis>) {
        segmentCount = data.segments.count
        sums = Array(repeating: 0, count: segmentCount * HistoricalAverageTable.slots)
        counts = Array(repeating: 0, count: sums.count)
        segmentSums = Array(repeating: 0, count: segmentCount)
        segmentCounts = Array(repeating: 0, count: segmentCount)
        for index in data.rows.indices {
            let row = data.rows[index]
            guard period.contains(row.timestamp), let y = data.label(index, target), y.isFinite else { continue }
            let segment = data.segmentIndex(ofRow: index)
            let cell = segment * HistoricalAverageTable.slots + Interval.slotOfWeek(row.timestamp)
            sums[cell] += y
            counts[cell] += 1
            segmentSums[segment] += y
            segmentCounts[segment] += 1
            total += y
            totalCount += 1
        }
    }

    func table(segments: [String]) -> HistoricalAverageTable {
        let means = zip(sums, counts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        let segmentMeans = zip(segmentSums, segmentCounts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        return HistoricalAverageTable(
            segments: segments, slotMeans: PackedDoubles(means), segmentMeans: PackedDoubles(segmentMeans),
            overallMean: totalCount > 0 ? total / Double(totalCount) : 0)
    }

    /// The average at (`segment`, slot of `time`), leaving out `own` when the row at `time` is
    /// one of the averaged observations.
    func value(segment: Int, time: EpochMillis, leavingOut own: Double?) -> Double {
        slotMean(segment: segment, time: time, leavingOut: own) ?? fallback(segment: segment, leavingOut: own)
    }

    /// The slot's mean over the observations other than `own`; nil when there are none.
    func slotMean(segment: Int, time: EpochMillis, leavingOut own: Double?) -> Double? {
        let cell = segment * HistoricalAverageTable.slots + Interval.slotOfWeek(time)
        var sum = sums[cell]
        var count = Int(counts[cell])
        if let own, count > 0 {
            sum -= own
            count -= 1
        }
        return count > 0 ? sum / Double(count) : nil
    }

    /// The segment mean without `own` (the overall mean for a segment with nothing else).
    func fallback(segment: Int, leavingOut own: Double?) -> Double {
        var segmentSum = segmentSums[segment]
        var segmentCount = segmentCounts[segment]
        if let own, segmentCount > 0 {
            segmentSum -= own
            segmentCount -= 1
        }
        if segmentCount > 0 { return segmentSum / Double(segmentCount) }
        return totalCount > 0 ? total / Double(totalCount) : 0
    }
}
