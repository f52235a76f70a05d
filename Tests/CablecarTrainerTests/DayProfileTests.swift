import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecasting

/// The day-type profile the ridge reads at the target time: the mean over the segment's days of
/// the same type, over a window of slots where a slot has too few days, and, while fitting,
/// without the row's own day.
@Suite struct DayProfileTests {
    static let w = HistoricalAverageTable.profileWindowSteps

    static func fitted() throws -> (TrainingData, TimeSplit) {
        let data = try TrainingData(snapshot: SyntheticSnapshot.make(days: 14))
        let parameters = ModelParameters()
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (data, split)
    }

    /// Whether `time` is of `reference`'s day type and within the window's reach of its time of
    /// day (wrapping at midnight), on the UTC clock the synthetic snapshot is fitted with.
    static func inWindow(_ time: EpochMillis, of reference: EpochMillis) -> Bool {
        let a = Interval.slotOfWeek(time)
        let b = Interval.slotOfWeek(reference)
        guard (a >= 5 * 288) == (b >= 5 * 288) else { return false }
        let distance = abs(a % 288 - b % 288)
        return min(distance, 288 - distance) <= w
    }

    /// The labels of `segment` in the fitting period whose time lies in `reference`'s window.
    static func labels(
        _ data: TrainingData, _ fitting: Range<EpochMillis>, segment: String, around reference: EpochMillis,
        excluding excluded: (EpochMillis) -> Bool = { _ in false }
    ) -> [Double] {
        data.rows.filter {
            $0.segmentID == segment && fitting.contains($0.timestamp) && inWindow($0.timestamp, of: reference)
                && !excluded($0.timestamp)
        }.compactMap(\.actualFlowVehiclesPerHour)
    }

    static let day: EpochMillis = 86_400_000

    /// Fourteen synthetic days from a Monday fit on twelve: ten weekdays (slots with their own
    /// mean) and one weekend (slots observed twice, averaged over the window).
    @Test func thinSlotsAreAveragedOverTheWindowAndTheOthersKeepTheirOwnMean() throws {
        let (data, split) = try Self.fitted()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters())
        let table = try #require(ridge.historicalAverageTable(.flow))
        #expect(table.profileWindowSteps == Self.w)
        let segment = data.segments[0]
        // A Saturday evening, and a Sunday just after midnight (the window wraps to the weekend's
        // late evening).
        for time in [data.start + 5 * Self.day + 19 * 3_600_000, data.start + 6 * Self.day + 300_000] {
            let expected = Self.labels(data, split.fitting, segment: segment, around: time)
            let mean = try #require(table.profileMean(segment: 0, time: time))
            #expect(expected.count > 2 * Self.w + 1, "the window holds more than one day")
            #expect(abs(mean - expected.reduce(0, +) / Double(expected.count)) < 1e-9)
        }
        // A weekday morning: its slot alone, over the ten weekdays.
        let morning = data.start + 8 * 3_600_000 + 1_800_000
        let slot = Self.sameSlot(data, split.fitting, segment: segment, as: morning)
        #expect(slot.count >= 6)
        let mean = try #require(table.profileMean(segment: 0, time: morning))
        #expect(abs(mean - slot.reduce(0, +) / Double(slot.count)) < 1e-9)
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.historicalAverageTable(.flow) == table)
    }

    /// The weekday labels of `segment` in the fitting period at `time`'s slot of the day.
    static func sameSlot(
        _ data: TrainingData, _ fitting: Range<EpochMillis>, segment: String, as time: EpochMillis, except: EpochMillis? = nil
    ) -> [Double] {
        data.rows.filter {
            let slot = Interval.slotOfWeek($0.timestamp)
            return $0.segmentID == segment && fitting.contains($0.timestamp) && $0.timestamp != except && slot < 5 * 288
                && slot % 288 == Interval.slotOfWeek(time) % 288
        }.compactMap(\.actualFlowVehiclesPerHour)
    }

    /// A training row's windowed profile leaves out its own day's observations within the
    /// window: they lie up to 20 minutes after the row, where a forecast issued before it cannot
    /// look. A weekday row's one-slot profile leaves out its own label, as before.
    @Test func whileFittingTheProfileLeavesOutTheRowsOwnDay() throws {
        let (data, split) = try Self.fitted()
        let accumulator = HistoricalAverageAccumulator(data: data, target: .flow, period: split.fitting)
        let segment = data.segments[0]
        func row(at time: EpochMillis) throws -> Int {
            try #require(data.rows.indices.first { data.rows[$0].segmentID == segment && data.rows[$0].timestamp == time })
        }
        // Saturday 12:00, and Sunday 00:05, whose window reaches back into Saturday's last slots.
        for time in [data.start + 5 * Self.day + 12 * 3_600_000, data.start + 6 * Self.day + 300_000] {
            let near: (EpochMillis) -> Bool = { abs($0 - time) <= EpochMillis(Self.w) * 300_000 }
            let expected = Self.labels(data, split.fitting, segment: segment, around: time, excluding: near)
            let mean = try #require(accumulator.profileMean(around: try row(at: time), data: data, target: .flow))
            #expect(abs(mean - expected.reduce(0, +) / Double(expected.count)) < 1e-9)
            let all = Self.labels(data, split.fitting, segment: segment, around: time)
            #expect(all.count - expected.count == 2 * Self.w + 1, "the row's own day is left out, nothing else")
        }
        let tuesday = data.start + Self.day + 12 * 3_600_000
        let others = Self.sameSlot(data, split.fitting, segment: segment, as: tuesday, except: tuesday)
        let mean = try #require(accumulator.profileMean(around: try row(at: tuesday), data: data, target: .flow))
        #expect(abs(mean - others.reduce(0, +) / Double(others.count)) < 1e-9)
    }
}
