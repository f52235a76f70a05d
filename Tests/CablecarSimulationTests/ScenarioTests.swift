import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

@Suite("Scenarios")
struct ScenarioTests {
    @Test func exampleFilesLoadAndFitTheBundledCity() throws {
        let directory = Fixtures.simulatorsDirectory.appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 3)
        let index = CityIndex(city: Fixtures.city)
        var kinds: Set<ScenarioChange.Kind> = []
        for file in files {
            let scenario = try Scenario.load(from: directory.appendingPathComponent(file))
            _ = try ResolvedScenario(scenario, index: index)
            kinds.formUnion(scenario.changes.map(\.kind))
        }
        #expect(kinds == Set(ScenarioChange.Kind.allCases))
    }

    @Test func mistakesFailBeforeTheRun() {
        let index = CityIndex(city: Fixtures.city)
        let unknownHood = Scenario(
            name: "x", changes: [ScenarioChange(kind: .demandShift, fromDay: 0, neighborhoods: ["atlantis"], multiplier: 2)])
        #expect(throws: SimulationError.self) { try ResolvedScenario(unknownHood, index: index) }
        let cameraSpeed = Scenario(
            name: "x", changes: [ScenarioChange(kind: .sensorRecalibration, fromDay: 0, sensorKind: .camera, measure: .speed, factor: 2)])
        #expect(throws: SimulationError.self) { try ResolvedScenario(cameraSpeed, index: index) }
        let badTime = Scenario(name: "x", forced: [ForcedIncident(kind: .rain, day: 0, at: "25:00", durationMinutes: 10)])
        #expect(throws: SimulationError.self) { try ResolvedScenario(badTime, index: index) }
        for multiplier in [Double.infinity, 1e300, 1e-300, -1, .nan] {
            let extreme = Scenario(
                name: "x", changes: [ScenarioChange(kind: .demandShift, fromDay: 0, neighborhoods: ["mission"], multiplier: multiplier)])
            #expect(throws: SimulationError.self) { try ResolvedScenario(extreme, index: index) }
            let recalibration = Scenario(
                name: "x",
                changes: [
                    ScenarioChange(kind: .sensorRecalibration, fromDay: 0, sensorKind: .loopDetector, measure: .speed, factor: multiplier)
                ])
            #expect(throws: SimulationError.self) { try ResolvedScenario(recalibration, index: index) }
        }
        #expect(throws: SimulationError.self) { try ScenarioFlags.construction("mission:two:1") }
        #expect(throws: SimulationError.self) { try ScenarioFlags.recalibration("radar.speed:1:0.9") }
    }

    @Test func flagsMatchTheFileFormat() throws {
        #expect(
            try ScenarioFlags.construction("mission:2:1")
                == ScenarioChange(kind: .construction, fromDay: 2, neighborhoods: ["mission"], lanesClosed: 1))
        #expect(
            try ScenarioFlags.demandShift("soma,mission-bay:1:1.3")
                == ScenarioChange(kind: .demandShift, fromDay: 1, neighborhoods: ["soma", "mission-bay"], multiplier: 1.3))
        #expect(
            try ScenarioFlags.recalibration("loop.speed:2:0.85:sunset")
                == ScenarioChange(
                    kind: .sensorRecalibration, fromDay: 2, neighborhoods: ["sunset"], sensorKind: .loopDetector, measure: .speed,
                    factor: 0.85))
        let venue = try ScenarioFlags.newVenue("bayview:3:20000")
        #expect(venue.kind == .newVenue && venue.fromDay == 3 && venue.venue?.capacity == 20_000 && venue.venue?.neighborhood == "bayview")
    }

    /// Changes start on their day, only where they are meant to, and move the truth (or,
    /// for recalibration, only the readings) the way they say.
    @Test func changesTakeEffectFromTheirDayInTheirNeighborhoods() throws {
        let scenario = Scenario(
            name: "drift",
            changes: [
                ScenarioChange(kind: .construction, fromDay: 1, neighborhoods: ["mission"], lanesClosed: 1),
                ScenarioChange(kind: .demandShift, fromDay: 1, neighborhoods: ["bayview"], multiplier: 1.3),
                ScenarioChange(
                    kind: .sensorRecalibration, fromDay: 1, neighborhoods: ["richmond"], sensorKind: .loopDetector, measure: .speed,
                    factor: 0.8),
            ])
        let baseline = try Fixtures.run(seed: 31, days: 2)
        let drifted = try Fixtures.run(seed: 31, days: 2, scenario: scenario)
        let dayTwo = baseline.truth[baseline.truth.count / 2].eventTime
        func rows(_ truth: [SegmentTruth], _ hood: String, day: Int) -> [SegmentTruth] {
            truth.filter { $0.neighborhood == hood && (day == 0 ? $0.eventTime < dayTwo : $0.eventTime >= dayTwo) }
        }
        // Day 0 untouched everywhere.
        #expect(rows(baseline.truth, "mission", day: 0) == rows(drifted.truth, "mission", day: 0))
        #expect(rows(baseline.truth, "bayview", day: 0) == rows(drifted.truth, "bayview", day: 0))
        // Construction: less capacity on Mission's arterials from day 1.
        let arterials = Set(Fixtures.city.segments.filter { $0.neighborhood == "mission" && $0.lanes >= 2 }.map(\.id))
        let capacity = { (truth: [SegmentTruth]) in
            Fixtures.mean(rows(truth, "mission", day: 1).filter { arterials.contains($0.segmentID) }.map(\.capacityVehiclesPerHour))
        }
        #expect(capacity(drifted.truth) < 0.7 * capacity(baseline.truth))
        // Demand shift: 30% more demand in Bayview (same noise, so the ratio is close to exact).
        let demand = { (truth: [SegmentTruth]) in Fixtures.mean(rows(truth, "bayview", day: 1).map(\.demandVehiclesPerHour)) }
        #expect(abs(demand(drifted.truth) / demand(baseline.truth) - 1.3) < 0.03)
        // Recalibration: Richmond's loops read 20% slower than its traffic really is.
        let richmondLoops = Fixtures.city.sensors.filter { sensor in
            sensor.kind == .loopDetector && Fixtures.city.segments.contains { $0.id == sensor.segment && $0.neighborhood == "richmond" }
        }
        let loopIDs = Set(richmondLoops.map(\.id))
        let loopSegments = Set(richmondLoops.map(\.segment))
        let decoder = WireCodec.decoder()
        let readOverTrue = { (output: SimulationReplay.Output) in
            let read = Fixtures.mean(
                output.records.filter { $0.topic == .rawLoop && $0.eventTime >= dayTwo }
                    .compactMap { try? decoder.decode(LoopDetectorReading.self, from: Data($0.value)) }
                    .filter { loopIDs.contains($0.sensorID) }.map(\.speedKmh))
            let truth = Fixtures.mean(rows(output.truth, "richmond", day: 1).filter { loopSegments.contains($0.segmentID) }.map(\.speedKmh))
            return read / truth
        }
        #expect(abs(readOverTrue(baseline) - 1) < 0.02)
        #expect(abs(readOverTrue(drifted) - 0.8) < 0.02)
        // A construction notice goes out on raw.events.
        let events = drifted.records.filter { $0.topic == .rawEvents }.compactMap {
            try? decoder.decode(CityEvent.self, from: Data($0.value))
        }
        #expect(events.contains { $0.kind == .construction && $0.neighborhood == "mission" && $0.eventTime == dayTwo })
    }
}
