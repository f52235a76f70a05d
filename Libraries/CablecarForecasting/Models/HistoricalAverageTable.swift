import CablecarDomain

/// Mean of a target per segment and time-of-week slot of the city's local clock (2016 slots; see
/// `LocalClock`), with the segment mean for slots never observed and the overall mean for unknown
/// segments. Tables written before local time have no zone and key on UTC slots.
public struct HistoricalAverageTable: Codable, Sendable, Equatable {
    public static let slots = 2016

    public var segments: [String]
    /// `slotMeans[segment * 2016 + slot]`; NaN where the slot was never observed.
    public var slotMeans: PackedDoubles
    public var segmentMeans: PackedDoubles
    public var overallMean: Double
    /// `profileMeans[(segment * 2 + dayType) * 288 + slotOfDay]`: the mean over every weekday
    /// (dayType 0) or weekend day (1) at the same local time of day, and over the slots within
    /// `profileWindowSteps` of it where the slot was observed on fewer than
    /// `profileWindowMinimumDays` days; NaN where never observed. nil in tables written before it.
    ///
    /// Why a window: two weeks of history give a weekend slot two observations, each off by the
    /// sensor's noise (60 veh/h for flow), so a one-slot profile carried about 40 veh/h of noise
    /// into every forecast that leaned on it. Over 45 minutes the profile has nine times the
    /// observations and bends only where the day's shape does; on the 14-day benchmark that moved
    /// the share of the reducible error removed at 60 minutes from 35 to 45 % (flow) and from 27
    /// to 36 % (speed).
    public var profileMeans: PackedDoubles?
    /// The half-width of the profile's window in slots; nil in tables whose profile is one slot
    /// everywhere.
    public var profileWindowSteps: Int?
    /// The profile shared by the segment's neighborhood (`NeighborhoodProfileAccumulator`), laid
    /// out like `profileMeans`; nil in tables written before it.
    public var neighborhoodProfileMeans: PackedDoubles?
    /// The clock the slots are in.
    public let clock: LocalClock

    enum CodingKeys: String, CodingKey {
        case segments
        case slotMeans = "slot_means"
        case segmentMeans = "segment_means"
        case overallMean = "overall_mean"
        case timeZone = "time_zone"
        case profileMeans = "profile_means"
        case profileWindowSteps = "profile_window_steps"
        case neighborhoodProfileMeans = "neighborhood_profile_means"
    }

    init(
        segments: [String], slotMeans: PackedDoubles, segmentMeans: PackedDoubles, overallMean: Double,
        profileMeans: PackedDoubles?, clock: LocalClock
    ) {
        self.profileMeans = profileMeans
        self.segments = segments
        self.slotMeans = slotMeans
        self.segmentMeans = segmentMeans
        self.overallMean = overallMean
        self.clock = clock
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        segments = try container.decode([String].self, forKey: .segments)
        slotMeans = try container.decode(PackedDoubles.self, forKey: .slotMeans)
        segmentMeans = try container.decode(PackedDoubles.self, forKey: .segmentMeans)
        overallMean = try container.decode(Double.self, forKey: .overallMean)
        profileMeans = try container.decodeIfPresent(PackedDoubles.self, forKey: .profileMeans)
        profileWindowSteps = try container.decodeIfPresent(Int.self, forKey: .profileWindowSteps)
        neighborhoodProfileMeans = try container.decodeIfPresent(PackedDoubles.self, forKey: .neighborhoodProfileMeans)
        if let zone = try container.decodeIfPresent(String.self, forKey: .timeZone) {
            do {
                clock = try LocalClock(identifier: zone)
            } catch {
                throw ForecastingError.invalidArtifact("a historical-average table names an unknown time zone '\(zone)'")
            }
        } else {
            clock = .utc
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(segments, forKey: .segments)
        try container.encode(slotMeans, forKey: .slotMeans)
        try container.encode(segmentMeans, forKey: .segmentMeans)
        try container.encode(overallMean, forKey: .overallMean)
        if clock != .utc { try container.encode(clock.identifier, forKey: .timeZone) }
        try container.encodeIfPresent(profileMeans, forKey: .profileMeans)
        try container.encodeIfPresent(profileWindowSteps, forKey: .profileWindowSteps)
        try container.encodeIfPresent(neighborhoodProfileMeans, forKey: .neighborhoodProfileMeans)
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
        if let profileMeans, profileMeans.values.count != count * Self.profileCells {
            throw ForecastingError.invalidArtifact("a historical-average table's day profiles do not match its \(count) segments")
        }
        if let neighborhoodProfileMeans, neighborhoodProfileMeans.values.count != count * Self.profileCells {
            throw ForecastingError.invalidArtifact(
                "a historical-average table's neighborhood profiles do not match its \(count) segments")
        }
    }

    static let profileCells = 2 * 288
    /// Slots on each side of a profile's time of day that its mean includes (see `profileMeans`).
    /// Four (45 minutes) was the best of 0, 2, 3, 4, 6 and 8 on the 14-day benchmark overall; six
    /// and eight helped flow a little more and cost speed at 15 minutes.
    static let profileWindowSteps = 4
    /// A profile slot observed on fewer days than this uses the window; one with more keeps its
    /// own mean. A simulated month (20 weekdays, 7 weekend days) scored speed at 60 minutes 4 %
    /// worse with every slot windowed: its slots are precise already and the window flattens the
    /// rush's ramps.
    static let profileWindowMinimumDays: Int32 = 6

    /// The profile cells within `profileWindowSteps` of `cell`, itself included, wrapping at
    /// midnight within its day type; `cell` may carry any multiple of 288 (a segment's or a
    /// neighborhood's block), which the cells keep.
    static func windowCells(around cell: Int) -> LazyMapSequence<ClosedRange<Int>, Int> {
        let start = cell / 288 * 288
        let slot = cell % 288
        return (-profileWindowSteps...profileWindowSteps).lazy.map { start + (slot + $0 + 288) % 288 }
    }

    /// The profile cell of `time` within a segment's 576 (day type × slot of day).
    static func profileCell(_ slotOfWeek: Int) -> Int {
        (slotOfWeek >= 5 * 288 ? 288 : 0) + slotOfWeek % 288
    }

    /// The mean over the segment's days of the same type at the local time of day of `time`.
    public func profileMean(segment: Int?, time: EpochMillis) -> Double? {
        guard let segment, let profileMeans else { return nil }
        let mean = profileMeans.values[segment * Self.profileCells + Self.profileCell(clock.slotOfWeek(time))]
        return mean.isNaN ? nil : mean
    }

    /// Per segment, its highest day-type profile mean over both day types and every time of day;
    /// nil for a segment without a profile. For speed it is the free-flow speed the fitting period
    /// saw on the segment (at night, the profile runs at it).
    public func profileMaxima() -> [Double?] {
        guard let profileMeans else { return Array(repeating: nil, count: segments.count) }
        return profileMeans.values.withUnsafeBufferPointer { means in
            segments.indices.map { segment in
                let cells = means[(segment * Self.profileCells)..<((segment + 1) * Self.profileCells)]
                return cells.lazy.filter { !$0.isNaN }.max()
            }
        }
    }

    /// The neighborhood's shared profile at `time`, scaled to the segment (`neighborhoodProfileMeans`).
    public func neighborhoodProfileMean(segment: Int?, time: EpochMillis) -> Double? {
        guard let segment, let neighborhoodProfileMeans else { return nil }
        let mean = neighborhoodProfileMeans.values[segment * Self.profileCells + Self.profileCell(clock.slotOfWeek(time))]
        return mean.isNaN ? nil : mean
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
        let mean = slotMeans.values[segment * Self.slots + clock.slotOfWeek(time)]
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
    let clock: LocalClock
    var sums: [Double]
    var counts: [Int32]
    var profileSums: [Double]
    var profileCounts: [Int32]
    var segmentSums: [Double]
    var segmentCounts: [Int]
    var total = 0.0
    var totalCount = 0
    let period: Range<EpochMillis>
    var neighborhoodProfile: NeighborhoodProfileAccumulator?

    init(data: TrainingData, target: ForecastTarget, period: Range<EpochMillis>) {
        self.period = period
        segmentCount = data.segments.count
        clock = data.clock
        sums = Array(repeating: 0, count: segmentCount * HistoricalAverageTable.slots)
        counts = Array(repeating: 0, count: sums.count)
        profileSums = Array(repeating: 0, count: segmentCount * HistoricalAverageTable.profileCells)
        profileCounts = Array(repeating: 0, count: profileSums.count)
        segmentSums = Array(repeating: 0, count: segmentCount)
        segmentCounts = Array(repeating: 0, count: segmentCount)
        for index in data.rows.indices {
            let row = data.rows[index]
            guard period.contains(row.timestamp), let y = data.label(index, target), y.isFinite else { continue }
            let segment = data.segmentIndex(ofRow: index)
            let slot = clock.slotOfWeek(row.timestamp)
            let cell = segment * HistoricalAverageTable.slots + slot
            sums[cell] += y
            counts[cell] += 1
            let profile = segment * HistoricalAverageTable.profileCells + HistoricalAverageTable.profileCell(slot)
            profileSums[profile] += y
            profileCounts[profile] += 1
            segmentSums[segment] += y
            segmentCounts[segment] += 1
            total += y
            totalCount += 1
        }
        let levels = zip(segmentSums, segmentCounts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        neighborhoodProfile = NeighborhoodProfileAccumulator(data: data, target: target, period: period, segmentLevels: levels)
    }

    func table(segments: [String]) -> HistoricalAverageTable {
        let means = zip(sums, counts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        let segmentMeans = zip(segmentSums, segmentCounts).map { sum, count in count > 0 ? sum / Double(count) : Double.nan }
        let profiles = profileSums.indices.map { cell in
            let (sum, count) = isThin(cell) ? profileWindow(cell) : (profileSums[cell], Int(profileCounts[cell]))
            return count > 0 ? sum / Double(count) : Double.nan
        }
        var table = HistoricalAverageTable(
            segments: segments, slotMeans: PackedDoubles(means), segmentMeans: PackedDoubles(segmentMeans),
            overallMean: totalCount > 0 ? total / Double(totalCount) : 0, profileMeans: PackedDoubles(profiles), clock: clock)
        table.profileWindowSteps = HistoricalAverageTable.profileWindowSteps
        table.neighborhoodProfileMeans = neighborhoodProfile.map { PackedDoubles($0.means(segments: segmentCount)) }
        return table
    }

    /// The average at (`segment`, slot of `time`), leaving out `own` when the row at `time` is
    /// one of the averaged observations.
    func value(segment: Int, time: EpochMillis, leavingOut own: Double?) -> Double {
        slotMean(segment: segment, time: time, leavingOut: own) ?? fallback(segment: segment, leavingOut: own)
    }

    /// The slot's mean over the observations other than `own`; nil when there are none.
    func slotMean(segment: Int, time: EpochMillis, leavingOut own: Double?) -> Double? {
        let cell = segment * HistoricalAverageTable.slots + clock.slotOfWeek(time)
        return Self.mean(sum: sums[cell], count: Int(counts[cell]), leavingOut: own)
    }

    /// The day-type profile at the local time of day of `row`'s time as a served table has it
    /// (`profileMeans`), without what a forecast issued before the row would not have seen: the
    /// row's own label for a slot of its own, and for a windowed (thin) slot every observation of
    /// the row's segment within the window's reach of it in time, its own day. Leaving out the
    /// label only, its neighbours of the same day stayed in, nearly half of a weekend window.
    func profileMean(around row: Int, data: TrainingData, target: ForecastTarget) -> Double? {
        let w = HistoricalAverageTable.profileWindowSteps
        let segment = data.segmentIndex(ofRow: row)
        let cell = profileCell(segment, data.rows[row].timestamp)
        guard isThin(cell) else {
            let own = period.contains(data.rows[row].timestamp) ? data.label(row, target).flatMap { $0.isFinite ? $0 : nil } : nil
            return Self.mean(sum: profileSums[cell], count: Int(profileCounts[cell]), leavingOut: own)
        }
        var (sum, count) = profileWindow(cell)
        for k in -w...w {
            guard let other = data.row(after: row, steps: k), period.contains(data.rows[other].timestamp),
                let y = data.label(other, target), y.isFinite, covers(cell, profileCell(segment, data.rows[other].timestamp))
            else { continue }
            sum -= y
            count -= 1
        }
        return count > 0 ? sum / Double(count) : nil
    }

    /// Whether a profile cell has too few days for its slot alone (`profileWindowMinimumDays`).
    private func isThin(_ cell: Int) -> Bool { profileCounts[cell] < HistoricalAverageTable.profileWindowMinimumDays }

    private func profileCell(_ segment: Int, _ time: EpochMillis) -> Int {
        segment * HistoricalAverageTable.profileCells + HistoricalAverageTable.profileCell(clock.slotOfWeek(time))
    }

    /// The day-type block (a segment's weekday or weekend 288 slots) and slot of a profile cell.
    private static func block(_ cell: Int) -> (start: Int, slot: Int) { (cell / 288 * 288, cell % 288) }

    /// Whether `cell`'s window (wrapping at midnight within its day type) includes `other`.
    private func covers(_ cell: Int, _ other: Int) -> Bool {
        let (start, slot) = Self.block(cell)
        let (otherStart, otherSlot) = Self.block(other)
        let distance = abs(otherSlot - slot)
        return start == otherStart && min(distance, 288 - distance) <= HistoricalAverageTable.profileWindowSteps
    }

    /// Sums and counts of the profile cells in `cell`'s window.
    private func profileWindow(_ cell: Int) -> (sum: Double, count: Int) {
        var sum = 0.0
        var count = 0
        for other in HistoricalAverageTable.windowCells(around: cell) {
            sum += profileSums[other]
            count += Int(profileCounts[other])
        }
        return (sum, count)
    }

    /// The mean of a cell's observations other than `own`; nil when there are none.
    private static func mean(sum: Double, count: Int, leavingOut own: Double?) -> Double? {
        guard let own, count > 0 else { return count > 0 ? sum / Double(count) : nil }
        return count > 1 ? (sum - own) / Double(count - 1) : nil
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
