import CablecarDomain
import CablecarForecasting
import Foundation
import Testing

/// The ridge's anchor (forecasts are deviations from the recent level) and its local clock.
@Suite struct AnchorAndClockTests {
    static func fit(_ snapshot: FeatureSnapshot, _ parameters: ModelParameters) throws -> (TrainingData, RidgeForecastModel) {
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return (data, try RidgeForecastModel.fit(data, split: split, parameters: parameters))
    }

    /// Under a penalty that shrinks every coefficient to nothing, a segment in a jam is forecast
    /// near its own recent speed, not near the average (anchored on the average, such a model
    /// forecast 32 km/h for a segment at 4 km/h). With one week, the average a row could be
    /// anchored on is the segment mean, and every cell below an hour chooses the recent level; an
    /// hour ahead the day-type profile may be chosen, never the segment mean.
    @Test func shrinkageFallsBackToTheRecentLevel() throws {
        let (data, ridge) = try Self.fit(SyntheticSnapshot.make(days: 8), ModelParameters(penaltyGrid: [1e12]))
        let selections = Array(ridge.selections) + Array(ridge.fallbackSelections)
        let shorter = selections.filter { !$0.key.contains("|60|") }
        #expect(!shorter.isEmpty && shorter.allSatisfy { $0.value.anchor == .lastObserved })
        #expect(ridge.fallbackSelections.values.allSatisfy { $0.anchor != .historicalAverage })
        let row = try #require(data.rows.indices.last)
        var input = data.input(row)
        input.lastSpeedKmh = 4
        input.features[0] = 4
        let average = try #require(ridge.historicalAverageTable(.speed)?.value(segment: 0, time: input.issueTime + 1_800_000))
        let forecast = try #require(ridge.predict(input, target: .speed, horizonMinutes: 30))
        #expect(average > 20)
        #expect(abs(forecast - 4) < 3, "forecast \(forecast) for a segment at 4 km/h (average \(average))")
    }

    /// The same wall time a week apart across the spring-forward shares one slot: fitted with the
    /// city's zone, the average at Monday 08:00 PDT is the Monday 08:00 PST observations'.
    @Test func theAverageFollowsTheCityClockAcrossDaylightSavingTime() throws {
        // 2025-03-03 00:00 PST, the Monday before the change (synthetic rush hours are at 08:30 UTC
        // wall time; what matters is which observations share a slot).
        let monday: EpochMillis = 1_740_988_800_000
        var snapshot = SyntheticSnapshot.make(days: 12)
        let shift = monday - SyntheticSnapshot.monday
        snapshot.rows = snapshot.rows.map { row in
            var moved = row
            moved.timestamp += shift
            return moved
        }
        snapshot.request = SnapshotRequest(start: snapshot.request.start + shift, end: snapshot.request.end + shift)
        let parameters = ModelParameters(timeZone: "America/Los_Angeles")
        let (data, ridge) = try Self.fit(snapshot, parameters)
        let fitting = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction
        ).fitting
        let table = try #require(ridge.historicalAverageTable(.speed))
        #expect(table.clock.identifier == "America/Los_Angeles")
        // Monday 03-03 08:00 PST = 16:00 UTC; Monday 03-10 08:00 PDT = 15:00 UTC.
        let before = monday + 16 * 3_600_000
        let after = monday + 7 * 86_400_000 + 15 * 3_600_000
        #expect(table.slotMean(segment: 0, time: before) == table.slotMean(segment: 0, time: after))
        let segment = data.segments[0]
        let observed = data.rows.filter {
            $0.segmentID == segment && ($0.timestamp == before || $0.timestamp == after) && fitting.contains($0.timestamp)
        }
        let labels = observed.compactMap(\.actualSpeedKmh)
        let mean = try #require(table.slotMean(segment: 0, time: before))
        #expect(labels.count == 2)
        #expect(abs(mean - labels.reduce(0, +) / Double(labels.count)) < 1e-9)
        // The artifact keeps the zone; loaded, the model forecasts the same.
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.historicalAverageTable(.speed)?.clock.identifier == "America/Los_Angeles")
        let input = data.input(data.rows.count - 1)
        #expect(loaded.predict(input, target: .speed, horizonMinutes: 60) == ridge.predict(input, target: .speed, horizonMinutes: 60))
    }

    /// Each cell's anchor is chosen on validation with its penalty, and recorded.
    @Test func everyCellRecordsTheAnchorItWasFittedAgainst() throws {
        let (data, ridge) = try Self.fit(SyntheticSnapshot.make(days: 14), ModelParameters())
        let selections = Array(ridge.selections.values) + Array(ridge.fallbackSelections.values)
        #expect(!selections.isEmpty)
        #expect(selections.allSatisfy { $0.anchor != nil })
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.selections == ridge.selections)
        let input = data.input(data.rows.count - 1)
        #expect(loaded.predict(input, target: .flow, horizonMinutes: 15) == ridge.predict(input, target: .flow, horizonMinutes: 15))
    }

    /// Flow in the synthetic city is a day-type profile plus a little noise: an hour ahead the
    /// profile is the place to shrink to, and the cells that chose it forecast near it (within the
    /// noise of the profile's estimate), whatever the recent level. The ridge alone: trees
    /// mixed in an hour ahead forecast a deviation from the recent level.
    @Test func cellsAnHourAheadCanAnchorOnTheDayTypeProfile() throws {
        let (data, ridge) = try Self.fit(SyntheticSnapshot.make(days: 14), ModelParameters(penaltyGrid: [1e12], deviationTrees: 0))
        let anchored = ridge.selections.filter { $0.key.hasPrefix("flow_veh_h|60|") && $0.value.anchor == .profile }
        #expect(!anchored.isEmpty, "anchors: \(ridge.selections.mapValues { $0.anchor?.rawValue ?? "-" })")
        let table = try #require(ridge.historicalAverageTable(.flow))
        let row = try #require(
            data.rows.indices.last { anchored.keys.contains(RidgeForecastModel.key(.flow, 60, data.rows[$0].neighborhood)) })
        var input = data.input(row)
        let profile = try #require(table.profileMean(segment: data.segmentIndex(ofRow: row), time: input.issueTime + 3_600_000))
        for last in [100.0, 2_000] {
            input.lastFlowVehiclesPerHour = last
            input.features[1] = last
            let forecast = try #require(ridge.predict(input, target: .flow, horizonMinutes: 60))
            #expect(abs(forecast - profile) < 30, "forecast \(forecast) against the profile \(profile), last value \(last)")
        }
        let loaded = try RidgeForecastModel.load(artifact: ridge.artifact())
        #expect(loaded.predict(input, target: .flow, horizonMinutes: 60) == ridge.predict(input, target: .flow, horizonMinutes: 60))
    }

    @Test func anUnknownZoneIsRefused() throws {
        #expect(throws: ForecastingError.self) {
            try ModelParameters(timeZone: "Nowhere/Atlantis").validate()
        }
    }
}
