import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

/// The traffic model behaves like a city's: asserted on the ground truth it writes.
@Suite("Traffic model")
struct ModelTests {
    static let freeFlow = Dictionary(uniqueKeysWithValues: Fixtures.city.segments.map { ($0.id, $0.freeFlowSpeedKmh) })

    /// Mean of speed / free-flow speed over truth rows whose local hour is in `hours`.
    static func relativeSpeed(_ truth: [SegmentTruth], hours: Range<Double>, segments: Set<String>? = nil) -> Double {
        let rows = truth.filter { hours.contains(Fixtures.localHour($0.eventTime)) && (segments?.contains($0.segmentID) ?? true) }
        return Fixtures.mean(rows.map { $0.speedKmh / (freeFlow[$0.segmentID] ?? 1) })
    }

    @Test func peakHourIsSlowerThanNight() throws {
        let truth = try Fixtures.run(seed: 11).truth
        let night = Self.relativeSpeed(truth, hours: 2..<4)
        let morningPeak = Self.relativeSpeed(truth, hours: 8..<9)
        let eveningPeak = Self.relativeSpeed(truth, hours: 17..<18)
        #expect(night > 0.95)
        #expect(morningPeak < night - 0.1)
        #expect(eveningPeak < night - 0.1)
        let nightFlow = Fixtures.mean(truth.filter { (2..<4).contains(Fixtures.localHour($0.eventTime)) }.map(\.flowVehiclesPerHour))
        let peakFlow = Fixtures.mean(truth.filter { (17..<18).contains(Fixtures.localHour($0.eventTime)) }.map(\.flowVehiclesPerHour))
        #expect(peakFlow > 4 * nightFlow)
        // Congestion is real but not gridlock: some segments queue at the peak, not all.
        let peakRows = truth.filter { (17..<18).contains(Fixtures.localHour($0.eventTime)) }
        let queued = Double(peakRows.filter { $0.queueVehicles > 1 }.count) / Double(peakRows.count)
        #expect(queued > 0.02 && queued < 0.8)
    }

    @Test func commutePeaksDifferByNeighborhood() {
        let residential = DemandCurve.factor(profile: .residential, hour: 7.5, weekend: false)
        let downtownEarly = DemandCurve.factor(profile: .downtown, hour: 7.5, weekend: false)
        #expect(residential > downtownEarly)
        #expect(
            DemandCurve.factor(profile: .nightlife, hour: 23, weekend: true)
                > DemandCurve.factor(profile: .nightlife, hour: 23, weekend: false))
        #expect(
            DemandCurve.factor(profile: .downtown, hour: 8.5, weekend: true) < DemandCurve.factor(
                profile: .downtown, hour: 8.5, weekend: false) / 2)
    }

    @Test func rainLowersSpeed() throws {
        let rain = Scenario(
            name: "rain", forced: [ForcedIncident(kind: .rain, day: 0, at: "13:00", durationMinutes: 120, intensityMmPerHour: 8)])
        let dry = try Fixtures.run(seed: 4).truth
        let wet = try Fixtures.run(seed: 4, scenario: rain)
        let drySpeed = Self.relativeSpeed(dry, hours: 13.5..<14.5)
        let wetSpeed = Self.relativeSpeed(wet.truth, hours: 13.5..<14.5)
        #expect(wetSpeed < drySpeed * 0.93, "rain: \(wetSpeed) vs dry \(drySpeed)")
        #expect(wet.truth.filter { (13.5..<14.5).contains(Fixtures.localHour($0.eventTime)) }.allSatisfy { $0.rainMmPerHour > 4 })
        // The weather feed reports it too.
        let decoder = WireCodec.decoder()
        let reports = try wet.records.filter { $0.topic == .rawWeather }.map {
            try decoder.decode(WeatherReport.self, from: Data($0.value))
        }
        let duringRain = reports.filter { (13.5..<14.5).contains(Fixtures.localHour($0.eventTime)) }
        #expect(!duringRain.isEmpty && duringRain.allSatisfy { $0.precipitationMmPerHour > 3 && $0.visibilityMeters < 8_000 })
        // Before the rain the two runs are identical: only the rain differs.
        #expect(Self.relativeSpeed(dry, hours: 10..<12) == Self.relativeSpeed(wet.truth, hours: 10..<12))
    }

    @Test func collisionSlowsUpstreamAndClears() throws {
        let struck = "seg-chinatown-08-01-e"
        let upstream = Set(try #require(Fixtures.city.segments.first { $0.id == struck }).upstream)
        let collision = Scenario(
            name: "collision",
            forced: [ForcedIncident(kind: .collision, day: 0, at: "07:30", durationMinutes: 45, segment: struck, lanesBlocked: 2)])
        let baseline = try Fixtures.run(seed: 8).truth
        let crashed = try Fixtures.run(seed: 8, scenario: collision)

        let during = 7.75..<8.25
        #expect(
            Self.relativeSpeed(crashed.truth, hours: during, segments: [struck]) < 0.5
                * Self.relativeSpeed(baseline, hours: during, segments: [struck]))
        // The queue spills back: the segments feeding the wreck slow down too.
        let upstreamBefore = Self.relativeSpeed(baseline, hours: during, segments: upstream)
        let upstreamDuring = Self.relativeSpeed(crashed.truth, hours: during, segments: upstream)
        #expect(upstreamDuring < 0.8 * upstreamBefore, "upstream \(upstreamDuring) vs baseline \(upstreamBefore)")
        #expect(crashed.truth.contains { $0.segmentID == struck && $0.collision })
        // Cleared by 08:15; by late morning the queues have drained and traffic matches the baseline.
        let after = 10.5..<11.5
        let affected = upstream.union([struck])
        let recovered = Self.relativeSpeed(crashed.truth, hours: after, segments: affected)
        #expect(abs(recovered - Self.relativeSpeed(baseline, hours: after, segments: affected)) < 0.02)
        // The incident is announced on raw.events, started and cleared.
        let decoder = WireCodec.decoder()
        let events = try crashed.records.filter { $0.topic == .rawEvents }.map { try decoder.decode(CityEvent.self, from: Data($0.value)) }
        let statuses = events.filter { $0.kind == .collision && $0.segments == [struck] }.map(\.status)
        #expect(statuses.contains(.started) && statuses.contains(.cleared))
    }

    @Test func venueEventsRaiseDemandAroundTheVenue() throws {
        let venue = Scenario(
            name: "venue",
            changes: [
                ScenarioChange(
                    kind: .newVenue, fromDay: 0,
                    venue: NewVenue(
                        id: "test-hall", name: "Test Hall", neighborhood: "sunset", capacity: 25_000, eventProbability: 1,
                        startTime: "19:00", durationHours: 2))
            ])
        let baseline = try Fixtures.run(seed: 6).truth
        let withVenue = try Fixtures.run(seed: 6, scenario: venue)
        let decoder = WireCodec.decoder()
        let events = try withVenue.records.filter { $0.topic == .rawEvents }.map {
            try decoder.decode(CityEvent.self, from: Data($0.value))
        }
        let announced = try #require(events.first { $0.eventID.hasPrefix("evt-test-hall-") && $0.status == .scheduled })
        let approach = Set(announced.segments)
        #expect(!approach.isEmpty)
        let demand = { (truth: [SegmentTruth]) in
            Fixtures.mean(
                truth.filter { approach.contains($0.segmentID) && (17.75..<18.75).contains(Fixtures.localHour($0.eventTime)) }.map(
                    \.demandVehiclesPerHour))
        }
        #expect(demand(withVenue.truth) > 1.3 * demand(baseline))
        #expect(events.contains { $0.eventID == announced.eventID && $0.status == .started })
        #expect(events.contains { $0.eventID == announced.eventID && $0.status == .ended })
    }
}
