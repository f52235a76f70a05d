import CablecarDomain

/// Mean of a target per segment and time-of-week slot (`Interval.slotOfWeek`, 2016 slots), with
/// the segment mean for slots without enough observations and the overall mean for unknown
/// segments.
///
/// A slot holds a mean only where at least `minimumCount` observations fell (NaN elsewhere), so
/// the rule a model was trained under is carried by the artifact and applied the same way when
/// it serves. (A time-of-day level between slot and segment was tried: with one week of data
/// it made training rows see a weekday profile and the test day, a Sunday, the segment mean,
/// and the model fitted on the one failed on the other.)
public struct HistoricalAverageTable: Codable, Sendable, Equatable {
    public static let slots = 2016

    public var segments: [String]
    /// `slotMeans[segment * 2016 + slot]`; NaN where the slot had too few observations.
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
        guard let segment else { return overallMean }
        let mean = slotMeans.values[segment * Self.slots + Interval.slotOfWeek(time)]
        if !mean.isNaN { return mean }
        let segmentMean = segmentMeans.values[segment]
        return segmentMean.isNaN ? overallMean : segmentMean
    }
}

/// Sums and counts behind a `HistoricalAverageTable`. While training it also answers
/// leave-one-out queries: the average at a row's own slot without that row's label, so a model
/// that uses the historical average as a feature does not see its own target through it.
///
/// Leave-one-out and the table agree on when a slot answers: a slot with `n` observations
/// (own included) is used in training when `n - 1 >= minimumCount - 1`, and in serving, where the
/// row is not part of the table, when `n >= minimumCount`. With one week of data every
/// time-of-week slot holds a single observation: a model trained on leave-one-out averages then
/// never saw a slot's mean, and must not be served it either.
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

    /// The table for serving: a slot holds a mean where at least `minimumCount`
    /// observations fell. Use the same `minimumCount` as the leave-one-out queries the model was
    /// trained on.
    func table(segments: [String], minimumCount: Int = 1) -> HistoricalAverageTable {
        let floor = max(1, minimumCount)
        func means(_ sums: [Double], _ counts: [Int32]) -> [Double] {
            zip(sums, counts).map { sum, count in Int(count) >= floor ? sum / Double(count) : Double.nan }
        }
        let segmentMeans = zip(segmentSums, segmentCounts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        return HistoricalAverageTable(
            segments: segments, slotMeans: PackedDoubles(means(sums, counts)), segmentMeans: PackedDoubles(segmentMeans),
            overallMean: totalCount > 0 ? total / Double(totalCount) : 0)
    }

    /// The average at (`segment`, slot of `time`), leaving out `own` when the row at `time` is
    /// one of the averaged observations; the slot is used when what remains meets the rule of
    /// `table(segments:minimumCount:)` for a table that does not contain the row.
    func value(segment: Int, time: EpochMillis, leavingOut own: Double?, minimumCount: Int = 1) -> Double {
        let needed = max(1, minimumCount - 1)
        func mean(_ sum: Double, _ count: Int) -> Double? {
            var sum = sum
            var count = count
            if let own, count > 0 {
                sum -= own
                count -= 1
            }
            return count >= needed ? sum / Double(count) : nil
        }
        let cell = segment * HistoricalAverageTable.slots + Interval.slotOfWeek(time)
        if let value = mean(sums[cell], Int(counts[cell])) { return value }
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
