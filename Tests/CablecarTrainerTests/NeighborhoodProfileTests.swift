import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecasting

/// The day-type profile a neighborhood's segments share: the segment's mean level times the
/// neighborhood's shape over the profile's window, and, while fitting, without the
/// neighborhood's observations of the row's own day within the window.
@Suite struct NeighborhoodProfileTests {
    static let w = EpochMillis(HistoricalAverageTable.profileWindowSteps)
    static let day: EpochMillis = 86_400_000

    /// Each segment's mean flow over the fitting period.
    static func levels(_ data: TrainingData, _ fitting: Range<EpochMillis>) -> [String: Double] {
        var sums: [String: (Double, Int)] = [:]
        for row in data.rows where fitting.contains(row.timestamp) {
            guard let y = row.actualFlowVehiclesPerHour else { continue }
            let (sum, count) = sums[row.segmentID] ?? (0, 0)
            sums[row.segmentID] = (sum + y, count + 1)
        }
        return sums.mapValues { $0.0 / Double($0.1) }
    }

    /// The profile of `segment` at `time` computed from the rows: the neighborhood's flows in the
    /// window over their segments' levels, times the segment's level.
    static func expected(
        _ data: TrainingData, _ fitting: Range<EpochMillis>, segment: String, at time: EpochMillis,
        excluding excluded: (EpochMillis) -> Bool = { _ in false }
    ) throws -> Double {
        let levels = Self.levels(data, fitting)
        let neighborhood = try #require(data.rows.first { $0.segmentID == segment }?.neighborhood)
        var flows = 0.0
        var levelSum = 0.0
        for row in data.rows
        where row.neighborhood == neighborhood && fitting.contains(row.timestamp)
            && DayProfileTests.inWindow(row.timestamp, of: time) && !excluded(row.timestamp)
        {
            guard let y = row.actualFlowVehiclesPerHour, let level = levels[row.segmentID] else { continue }
            flows += y
            levelSum += level
        }
        return try #require(levels[segment]) * flows / levelSum
    }

    @Test func theServedProfileIsTheSegmentsLevelTimesItsNeighborhoodsShape() throws {
        let (data, split) = try DayProfileTests.fitted()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters())
        let table = try #require(ridge.historicalAverageTable(.flow))
        // A Saturday evening, a Sunday just after midnight and a weekday morning.
        let times = [data.start + 5 * Self.day + 19 * 3_600_000, data.start + 6 * Self.day + 300_000, data.start + 8 * 3_600_000]
        for segment in [0, 3] {
            for time in times {
                let served = try #require(table.neighborhoodProfileMean(segment: segment, time: time))
                let expected = try Self.expected(data, split.fitting, segment: data.segments[segment], at: time)
                #expect(abs(served - expected) < 1e-6 * expected, "segment \(segment) at \(time): \(served) against \(expected)")
            }
        }
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.historicalAverageTable(.flow) == table)
    }

    /// A training row's value leaves out every segment of the neighborhood within the window's
    /// reach of it on its own day: those observations lie after a forecast's issue time.
    @Test func whileFittingTheNeighborhoodsOwnDayIsLeftOut() throws {
        let (data, split) = try DayProfileTests.fitted()
        let accumulator = HistoricalAverageAccumulator(data: data, target: .flow, period: split.fitting)
        let neighborhoodProfile = try #require(accumulator.neighborhoodProfile)
        let segment = data.segments[1]
        let times = [
            data.start + 5 * Self.day + 12 * 3_600_000, data.start + 6 * Self.day + 300_000, data.start + Self.day + 9 * 3_600_000,
        ]
        for time in times {
            let row = try #require(data.rows.indices.first { data.rows[$0].segmentID == segment && data.rows[$0].timestamp == time })
            let near: (EpochMillis) -> Bool = { abs($0 - time) <= Self.w * 300_000 }
            let expected = try Self.expected(data, split.fitting, segment: segment, at: time, excluding: near)
            let value = try #require(neighborhoodProfile.value(around: row, data: data))
            #expect(abs(value - expected) < 1e-6 * expected, "at \(time): \(value) against \(expected)")
            let served = try Self.expected(data, split.fitting, segment: segment, at: time)
            #expect(abs(value - served) > 1e-9, "the row's own day changes the value")
        }
    }

    /// Flow rows hold the neighborhood's profile at every horizon; speed rows an hour ahead only
    /// (`RidgeDesign.neighborhoodProfileMinimumHorizons`), and 0 before, which a fit gives no weight.
    @Test func flowReadsItAtEveryHorizonAndSpeedAnHourAhead() throws {
        let (data, split) = try DayProfileTests.fitted()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [15, 60]))
        let design = ridge.design
        let column = try #require(design.columnNames.firstIndex(of: "neighborhood_profile_target_time"))
        #expect(design.columnNames[column - 1] == "profile_target_time")
        #expect(design.readsNeighborhoodProfile(.flow, horizon: 15))
        #expect(!design.readsNeighborhoodProfile(.speed, horizon: 30))
        #expect(design.readsNeighborhoodProfile(.speed, horizon: 60))
        let input = data.input(data.rows.count / 2)
        var row = Array(repeating: 0.0, count: design.columnCount)
        let profiles = RowProfiles(own: 500, neighborhood: 640)
        for (target, horizon, expected) in [(ForecastTarget.flow, 15, 640.0), (.speed, 15, 0), (.speed, 60, 640)] {
            row.withUnsafeMutableBufferPointer { buffer in
                design.fill(
                    buffer.baseAddress!, input: input, horizonMinutes: horizon, haIssue: 1, haTarget: 1, recent: 1, target: target,
                    profiles: profiles, clock: .utc)
            }
            #expect(row[column] == expected, "\(target) at \(horizon) minutes")
            #expect(row[column - 1] == 500, "the segment's own profile stays in its column")
        }
        for key in ridge.solutions.keys where key.hasPrefix("speed_kmh|15|") {
            let solution = try #require(ridge.solutions[key])
            #expect(solution.coefficients[column] == 0, "\(key) gives the empty column no weight")
        }
    }

    @Test func aTableWithNeighborhoodProfilesOfTheWrongShapeIsRefused() throws {
        let (data, split) = try DayProfileTests.fitted()
        var table = HistoricalAverageAccumulator(data: data, target: .flow, period: split.fitting).table(segments: data.segments)
        try table.validate()
        table.neighborhoodProfileMeans = PackedDoubles([1, 2, 3])
        #expect(throws: ForecastingError.self) { try table.validate() }
    }
}
