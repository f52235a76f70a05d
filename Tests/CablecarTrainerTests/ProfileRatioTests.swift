import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecasting

/// The two profile-ratio columns: the segment's profile at the target time scaled by how far the
/// recent level (the last 15 minutes) stands from the profile ten minutes before the issue time,
/// and the last hour's mean from the profile half an hour before it: the middles of their windows.
@Suite struct ProfileRatioTests {
    /// The synthetic fourteen days with each segment's mean flow over the last hour as the
    /// feature `flow_mean_60m`.
    static func fittedWithHourlyFlow() throws -> (TrainingData, TimeSplit) {
        var snapshot = SyntheticSnapshot.make(days: 14)
        let rows = snapshot.rows
        for i in rows.indices {
            let window = max(0, i - 12)..<i
            let flows = rows[window].filter { $0.segmentID == rows[i].segmentID }.compactMap(\.actualFlowVehiclesPerHour)
            snapshot.rows[i].values.append(flows.count == 12 ? flows.reduce(0, +) / 12 : nil)
        }
        snapshot.featureNames.append("flow_mean_60m")
        snapshot.featureVersions["flow_mean_60m"] = 1
        let data = try TrainingData(snapshot: snapshot)
        let parameters = ModelParameters()
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (data, split)
    }

    @Test func theScaledDeviationIsClampedAndZeroWithoutAReference() {
        #expect(abs(RidgeDesign.scaledDeviation(110, from: 100, to: 400) - 0.1 * 400) < 1e-9)
        #expect(abs(RidgeDesign.scaledDeviation(90, from: 100, to: 400) + 0.1 * 400) < 1e-9)
        // One reading of 60 veh/h over a night profile of 3 is not a twentyfold deviation.
        #expect(RidgeDesign.scaledDeviation(60, from: 3, to: 5) == (RidgeDesign.profileRatioBounds.upperBound - 1) * 5)
        #expect(RidgeDesign.scaledDeviation(0, from: 100, to: 400) == (RidgeDesign.profileRatioBounds.lowerBound - 1) * 400)
        #expect(RidgeDesign.scaledDeviation(nil, from: 100, to: 400) == 0)
        #expect(RidgeDesign.scaledDeviation(110, from: nil, to: 400) == 0)
        #expect(RidgeDesign.scaledDeviation(110, from: 0, to: 400) == 0)
        #expect(RidgeDesign.scaledDeviation(110, from: .infinity, to: 400) == 0)
    }

    /// A served row holds both columns computed from the table's profiles and the input's
    /// features, and the artifact keeps which features they read.
    @Test func aServedRowScalesTheTargetTimesProfileByTheSegmentsDeviationNow() throws {
        let (data, split) = try Self.fittedWithHourlyFlow()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [30]))
        let design = ridge.design
        let columns = RidgeDesign.profileRatioColumns.compactMap { design.columnNames.firstIndex(of: $0) }
        try #require(columns.count == 2)
        #expect(columns[1] == columns[0] + 1 && columns[1] == design.columnCount - 1)
        let hourMean = try #require(data.featureNames.firstIndex(of: "flow_mean_60m"))
        #expect(design.hourMeanFeatures?[ForecastTarget.flow.rawValue] == hourMean)
        let table = try #require(ridge.historicalAverageTable(.flow))
        // A weekday morning's ramp in the test period.
        let issueTime = split.test.lowerBound + 7 * 3_600_000
        let rowIndex = try #require(
            data.rows.indices.first { data.rows[$0].timestamp == issueTime && data.input($0).features[hourMean] != nil })
        let input = data.input(rowIndex)
        let segment = try #require(table.segments.firstIndex(of: input.segmentID))
        let targetTime = issueTime + 30 * 60_000
        let profiles = RowProfiles(
            own: try #require(table.profileMean(segment: segment, time: targetTime)),
            recentWindow: table.profileMean(segment: segment, time: issueTime - 10 * 60_000),
            hourWindow: table.profileMean(segment: segment, time: issueTime - 30 * 60_000))
        var row = Array(repeating: 0.0, count: design.columnCount)
        row.withUnsafeMutableBufferPointer { buffer in
            design.fill(
                buffer.baseAddress!, input: input, horizonMinutes: 30, haIssue: 1, haTarget: 1, recent: 1, target: .flow,
                profiles: profiles, clock: .utc)
        }
        let recent = try #require(design.recentLevel(input, .flow))
        let recentWindow = try #require(profiles.recentWindow)
        let hourWindow = try #require(profiles.hourWindow)
        let hour = try #require(input.features[hourMean])
        let expected = [
            (min(2, max(0.3, recent / recentWindow)) - 1) * profiles.own, (min(2, max(0.3, hour / hourWindow)) - 1) * profiles.own,
        ]
        #expect(abs(row[columns[0]] - expected[0]) < 1e-9 && abs(row[columns[1]] - expected[1]) < 1e-9)
        #expect(expected[0] != 0 && expected[1] != 0, "the synthetic ramp deviates from its profile")
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.design.hourMeanFeatures == design.hourMeanFeatures)
        #expect(loaded.predict(input, target: .flow, horizonMinutes: 30) == ridge.predict(input, target: .flow, horizonMinutes: 30))
    }

    /// A row without the hour's mean or a profile to compare with holds 0 there: no deviation.
    @Test func missingInputsHoldNoDeviation() throws {
        let (data, split) = try Self.fittedWithHourlyFlow()
        let design = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [15])).design
        let rowIndex = try #require(
            data.rows.indices.dropFirst(data.rows.count / 2 + 100).first { data.input($0).lastFlowVehiclesPerHour != nil })
        var input = data.input(rowIndex)
        input.features = input.features.map { _ in nil }
        var row = Array(repeating: 1.0, count: design.columnCount)
        row.withUnsafeMutableBufferPointer { buffer in
            design.fill(
                buffer.baseAddress!, input: input, horizonMinutes: 15, haIssue: 1, haTarget: 1, recent: 1, target: .flow,
                profiles: RowProfiles(own: 500, recentWindow: 400), clock: .utc)
        }
        let last = design.columnCount - 1
        #expect(row[last] == 0, "no hour's mean")
        let recent = try #require(input.lastFlowVehiclesPerHour)
        #expect(abs(row[last - 1] - (min(2, max(0.3, recent / 400)) - 1) * 500) < 1e-9, "the last value stands in for the recent level")
    }

    @Test func theScaledSlowdownIsClampedAndZeroNearFreeFlow() {
        // 10 km/h under a free flow of 50 where the profile runs 5 under: twice the slowdown,
        // carried to a target time whose profile runs 20 under.
        #expect(abs(RidgeDesign.scaledSlowdown(40, from: 45, to: 30, freeFlow: 50) - 1 * 20) < 1e-9)
        #expect(abs(RidgeDesign.scaledSlowdown(47.5, from: 45, to: 30, freeFlow: 50) + 0.5 * 20) < 1e-9)
        // A jam at 5 km/h over a profile 2 under free flow is a queue, not a twentyfold demand.
        #expect(RidgeDesign.scaledSlowdown(5, from: 48, to: 30, freeFlow: 50) == 0)
        #expect(abs(RidgeDesign.scaledSlowdown(40, from: 45, to: 30, freeFlow: 50) - (RidgeDesign.maximumSlowdownRatio - 1) * 20) < 1e-9)
        // Faster than free flow is the sensor's noise: no slowdown at all.
        #expect(RidgeDesign.scaledSlowdown(55, from: 45, to: 30, freeFlow: 50) == -20)
        // At night the profile is free flow: nothing to scale, whatever the segment does now.
        #expect(RidgeDesign.scaledSlowdown(40, from: 45, to: 50, freeFlow: 50) == 0)
        #expect(RidgeDesign.scaledSlowdown(40, from: 49.5, to: 30, freeFlow: 50) == 0, "a reference within the noise of free flow")
        #expect(RidgeDesign.scaledSlowdown(nil, from: 45, to: 30, freeFlow: 50) == 0)
        #expect(RidgeDesign.scaledSlowdown(40, from: nil, to: 30, freeFlow: 50) == 0)
        #expect(RidgeDesign.scaledSlowdown(40, from: 45, to: 30, freeFlow: nil) == 0)
        #expect(RidgeDesign.scaledSlowdown(.nan, from: 45, to: 30, freeFlow: 50) == 0)
    }

    @Test func aSegmentsFreeFlowIsItsHighestProfileMean() throws {
        let (data, split) = try Self.fittedWithHourlyFlow()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [15]))
        let table = try #require(ridge.historicalAverageTable(.speed))
        let means = try #require(table.profileMeans).values
        let maxima = table.profileMaxima()
        #expect(maxima.count == table.segments.count)
        for segment in table.segments.indices {
            let cells = means[(segment * 576)..<((segment + 1) * 576)].filter { !$0.isNaN }
            #expect(maxima[segment] == cells.max())
        }
        // The synthetic city runs at 45 km/h and up between its rushes.
        #expect(maxima.allSatisfy { ($0 ?? 0) > 45 })
        var bare = table
        bare.profileMeans = nil
        #expect(bare.profileMaxima().allSatisfy { $0 == nil })
    }

    /// Speed rows below an hour hold the slowdown form, computed from the segment's free flow;
    /// an hour ahead, and in artifacts written before the rule, they hold the ratio form.
    @Test func speedRowsBelowAnHourScaleTheSlowdown() throws {
        let (data, split) = try Self.fittedWithHourlyFlow()
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [30, 60]))
        let design = ridge.design
        #expect(design.speedSlowdownBelowHorizon == RidgeDesign.speedSlowdownHorizonLimit)
        #expect(design.readsSlowdown(.speed, horizon: 30) && !design.readsSlowdown(.speed, horizon: 60))
        #expect(!design.readsSlowdown(.flow, horizon: 30))
        let first = try #require(design.columnNames.firstIndex(of: RidgeDesign.profileRatioColumns[0]))
        let table = try #require(ridge.historicalAverageTable(.speed))
        // The weekday morning rush in the test period, where the profile runs under free flow.
        let issueTime = split.test.lowerBound + 8 * 3_600_000
        let rowIndex = try #require(
            data.rows.indices.first { data.rows[$0].timestamp == issueTime && data.input($0).lastSpeedKmh != nil })
        let input = data.input(rowIndex)
        let segment = try #require(table.segments.firstIndex(of: input.segmentID))
        let freeFlow = try #require(table.profileMaxima()[segment])
        let profiles = RowProfiles(
            own: try #require(table.profileMean(segment: segment, time: issueTime + 30 * 60_000)),
            recentWindow: table.profileMean(segment: segment, time: issueTime - 10 * 60_000), freeFlow: freeFlow)
        func row(_ design: RidgeDesign, horizon: Int) -> [Double] {
            var row = Array(repeating: 0.0, count: design.columnCount)
            row.withUnsafeMutableBufferPointer { buffer in
                design.fill(
                    buffer.baseAddress!, input: input, horizonMinutes: horizon, haIssue: 1, haTarget: 1, recent: 1, target: .speed,
                    profiles: profiles, clock: .utc)
            }
            return row
        }
        let recent = try #require(design.recentLevel(input, .speed))
        let reference = try #require(profiles.recentWindow)
        let slowdownRatio = (freeFlow - recent) / (freeFlow - reference)
        let slowdown = slowdownRatio > 2 ? 0 : (max(0, slowdownRatio) - 1) * (freeFlow - profiles.own)
        let ratio = (min(2, max(0.3, recent / reference)) - 1) * profiles.own
        #expect(slowdown != 0 && abs(slowdown - ratio) > 1e-6, "the synthetic rush runs under free flow and off its profile")
        #expect(abs(row(design, horizon: 30)[first] - slowdown) < 1e-9)
        #expect(abs(row(design, horizon: 60)[first] - ratio) < 1e-9)
        var older = design
        older.speedSlowdownBelowHorizon = nil
        #expect(abs(row(older, horizon: 30)[first] - ratio) < 1e-9)

        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.design.speedSlowdownBelowHorizon == design.speedSlowdownBelowHorizon)
        for horizon in [30, 60] {
            let served = ridge.predict(input, target: .speed, horizonMinutes: horizon)
            #expect(served != nil && loaded.predict(input, target: .speed, horizonMinutes: horizon) == served)
        }
    }

    @Test func aDesignReadingAnHourMeanItDoesNotHaveIsRefused() throws {
        let (data, split) = try Self.fittedWithHourlyFlow()
        var design = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [15])).design
        try design.validate()
        design.hourMeanFeatures = [ForecastTarget.flow.rawValue: design.featureNames.count]
        #expect(throws: ForecastingError.self) { try design.validate() }
        var slowdown = try RidgeForecastModel.fit(data, split: split, parameters: ModelParameters(horizons: [15])).design
        slowdown.speedSlowdownBelowHorizon = -15
        #expect(throws: ForecastingError.self) { try slowdown.validate() }
    }
}
