import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

@Suite("Determinism")
struct DeterminismTests {
    /// A scenario touching every kind of change, so they are all covered by the byte check.
    static let busyScenario = Scenario(
        name: "busy",
        changes: [
            ScenarioChange(kind: .construction, fromDay: 0, neighborhoods: ["mission"], lanesClosed: 1),
            ScenarioChange(kind: .demandShift, fromDay: 0, neighborhoods: ["soma"], multiplier: 1.2),
            ScenarioChange(
                kind: .newVenue, fromDay: 0,
                venue: NewVenue(id: "v", name: "V", neighborhood: "bayview", capacity: 20_000, eventProbability: 1)),
            ScenarioChange(kind: .sensorRecalibration, fromDay: 0, sensorKind: .loopDetector, measure: .speed, factor: 0.9),
        ],
        forced: [ForcedIncident(kind: .rain, day: 0, at: "10:00", durationMinutes: 60, intensityMmPerHour: 5)])

    @Test func sameSeedGivesByteIdenticalFiles() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cablecar-sim-determinism-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: base) }
        var contents: [[String: Data]] = []
        for run in 0..<2 {
            let directory = base.appendingPathComponent("run\(run)")
            let configuration = SimulationConfiguration(
                city: Fixtures.city, start: Fixtures.monday, days: 1, seed: 99, scenario: Self.busyScenario, faults: .heavy,
                rates: FeedRates(loopIntervalSeconds: 150, cameraIntervalSeconds: 300, gpsIntervalSeconds: 30))
            let truth = try GroundTruthWriter(url: directory.appendingPathComponent("truth.jsonl"))
            _ = try await SimulationReplay.run(configuration, into: try JSONLinesFeedSink(directory: directory), groundTruth: truth)
            var files: [String: Data] = [:]
            for name in Topic.rawFeeds.map(JSONLinesFeedSink.fileName) + ["truth.jsonl"] {
                files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
            }
            contents.append(files)
        }
        for (name, data) in contents[0] {
            #expect(!data.isEmpty, "\(name) is empty")
            #expect(data == contents[1][name], "\(name) differs between two runs with the same seed")
        }
    }

    @Test func differentSeedGivesDifferentRecordsAndTruth() throws {
        let one = try Fixtures.run(seed: 1)
        let two = try Fixtures.run(seed: 2)
        #expect(one.records != two.records)
        #expect(one.truth != two.truth)
        // Same city and rates: the same feeds in roughly the same volume.
        #expect(abs(one.records.count - two.records.count) < one.records.count / 10)
    }

    @Test func faultsDoNotChangeTheTraffic() throws {
        let clean = try Fixtures.run(seed: 5)
        let faulty = try Fixtures.run(seed: 5, faults: .heavy)
        #expect(clean.truth == faulty.truth)
        #expect(clean.records != faulty.records)
        #expect(clean.faults.isEmpty)
    }

    @Test func recordsLeaveInPublishTimeOrderAfterTheirEventTime() throws {
        let output = try Fixtures.run(seed: 3, faults: .heavy)
        #expect(zip(output.records, output.records.dropFirst()).allSatisfy { $0.publishTime <= $1.publishTime })
        let forged = Set(output.faults.filter { $0.kind == .futureTimestamp }.compactMap(\.sequence))
        let early = output.records.enumerated().filter { !forged.contains($0.offset) && $0.element.publishTime <= $0.element.eventTime }
        #expect(early.isEmpty)
        #expect(!forged.isEmpty)
    }
}
