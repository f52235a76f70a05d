import CablecarDomain
import CablecarFeatures
import Foundation
import Testing

@Suite struct SnapshotTests {
    let computer: FeatureComputer
    init() throws { computer = try FeatureComputer(city: Fixtures.city) }

    func history() -> ObservationHistory {
        var items: [AvailableTraffic] = []
        for segment in ["A", "B", "C"] {
            for k in 0..<30 {
                items.append(
                    Fixtures.traffic(segment, Fixtures.base + EpochMillis(k) * Fixtures.step, flow: Double(k), speed: Double(60 - k)))
            }
        }
        return ObservationHistory(traffic: items, context: [Fixtures.context("n1", Fixtures.base, temperature: 3)])
    }

    @Test func snapshotIsCanonicalAndReproducible() async throws {
        let request = SnapshotRequest(start: Fixtures.base + 12 * Fixtures.step, end: Fixtures.base + 20 * Fixtures.step)
        let source = InProcessSnapshotSource(computer: computer, history: history())
        let first = try await source.snapshot(request)
        let second = try await source.snapshot(request)
        #expect(first.rows.count == 8 * 3)
        #expect(first.fingerprint == second.fingerprint)
        #expect(first.fingerprint.count == 64)
        #expect(first.rows.map(\.segmentID).prefix(3) == ["A", "B", "C"])
        #expect(first.featureNames == FeatureCatalog.current.map(\.name))
        // Order of the input rows does not matter, their content does.
        let shuffled = SnapshotFingerprint.compute(
            featureNames: first.featureNames, featureVersions: first.featureVersions, rows: first.rows.reversed())
        #expect(shuffled == first.fingerprint)
        var changed = first.rows
        changed[5].values[0] = (changed[5].values[0] ?? 0) + 1e-9
        #expect(
            SnapshotFingerprint.compute(featureNames: first.featureNames, featureVersions: first.featureVersions, rows: changed)
                != first.fingerprint)
        var bumped = first.featureVersions
        bumped["speed_lag_1"] = 2
        #expect(
            SnapshotFingerprint.compute(featureNames: first.featureNames, featureVersions: bumped, rows: first.rows) != first.fingerprint)
    }

    @Test func requestsAreValidated() throws {
        let h = history()
        #expect(throws: FeatureError.unknownFeatures(["nope"])) {
            try computer.snapshot(SnapshotRequest(start: Fixtures.base, end: Fixtures.base + Fixtures.step, features: ["nope"]), history: h)
        }
        #expect(throws: FeatureError.unknownNeighborhoods(["atlantis"])) {
            try computer.snapshot(
                SnapshotRequest(neighborhoods: ["atlantis"], start: Fixtures.base, end: Fixtures.base + Fixtures.step), history: h)
        }
        #expect(throws: FeatureError.self) {
            try computer.snapshot(SnapshotRequest(start: Fixtures.base + 1, end: Fixtures.base + Fixtures.step), history: h)
        }
        let south = try computer.snapshot(
            SnapshotRequest(
                neighborhoods: ["South"], start: Fixtures.base + Fixtures.step, end: Fixtures.base + 3 * Fixtures.step,
                features: ["speed_lag_1", "temperature_c"]), history: h)
        #expect(south.rows.map(\.segmentID) == ["C", "C"])
        #expect(south.featureNames == ["speed_lag_1", "temperature_c"])
        #expect(south.rows[0].values == [60, nil])
    }

    @Test func definitionsAreUniqueAndCodable() throws {
        let names = FeatureCatalog.current.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == 35)
        let encoded = try JSONEncoder().encode(FeatureCatalog.current)
        #expect(try JSONDecoder().decode([FeatureDefinition].self, from: encoded) == FeatureCatalog.current)
    }
}
