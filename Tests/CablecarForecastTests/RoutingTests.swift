import CablecarDomain
import CablecarForecasting
import Foundation
import Testing

@testable import CablecarForecast

/// The pure model-set and rollout state: sticky split, shadow never answers, swaps.
@Suite("Model set and rollout routing")
struct RoutingTests {
    static let v1 = try! ForecastFixture.model(shift: 0)
    static let v2 = try! ForecastFixture.model(shift: 2)

    static func loaded(_ version: Int, stage: ModelStage = .production) -> LoadedModel {
        LoadedModel(
            name: "m", version: version, stage: stage, sha256: "sha-\(version)", model: version == 1 ? v1 : v2)
    }

    @Test func canarySplitIsWithinToleranceOver10000Segments() {
        for share in [0.05, 0.1, 0.25, 0.5] {
            let rollout = Rollout(mode: .canary, version: 2, share: share)
            let canary = (0..<10_000).filter { rollout.isCanary("segment-\($0)") }.count
            let expected = share * 10_000
            // Binomial standard deviation is at most 50 here; allow four of them.
            #expect(abs(Double(canary) - expected) < 200, "share \(share): \(canary) of 10000")
        }
        #expect((0..<1000).allSatisfy { !Rollout(mode: .canary, version: 2, share: 0).isCanary("s\($0)") })
        #expect((0..<1000).allSatisfy { Rollout(mode: .canary, version: 2, share: 1).isCanary("s\($0)") })
        #expect((0..<1000).allSatisfy { !Rollout(mode: .shadow, version: 2, share: 1).isCanary("s\($0)") })
    }

    @Test func canaryIsStickyAndNested() {
        let ten = Rollout(mode: .canary, version: 2, share: 0.1)
        let twenty = Rollout(mode: .canary, version: 2, share: 0.2)
        for index in 0..<2000 {
            let segment = "segment-\(index)"
            // Same answer every time, in any process (the hash is FNV-1a, not Swift's seeded Hasher).
            #expect(ten.isCanary(segment) == ten.isCanary(segment))
            // Growing the share only adds segments: a canary segment stays a canary segment.
            if ten.isCanary(segment) { #expect(twenty.isCanary(segment)) }
        }
        #expect(Rollout.bucket(of: "seg-a-1") == Rollout.bucket(of: "seg-a-1"))
        #expect(Rollout.bucket(of: "") == 0xcbf2_9ce4_8422_2325 % Rollout.buckets)
    }

    @Test func shadowNeverAnswers() {
        var set = ModelSet()
        set.installProduction(Self.loaded(1))
        set.setRollout(Rollout(mode: .shadow, version: 2, share: 1), candidate: Self.loaded(2, stage: .staging))
        for index in 0..<1000 {
            let route = set.route("segment-\(index)")
            #expect(route?.primary.version == 1)
            #expect(route?.role == .production)
            #expect(route?.shadow?.version == 2)
        }
    }

    @Test func canaryRoutesItsShareToTheCandidate() {
        var set = ModelSet()
        set.installProduction(Self.loaded(1))
        let rollout = Rollout(mode: .canary, version: 2, share: 0.3)
        set.setRollout(rollout, candidate: Self.loaded(2, stage: .staging))
        for index in 0..<1000 {
            let segment = "segment-\(index)"
            let route = set.route(segment)
            #expect(route?.primary.version == (rollout.isCanary(segment) ? 2 : 1))
            #expect(route?.role == (rollout.isCanary(segment) ? .canary : .production))
            #expect(route?.shadow == nil)
        }
    }

    @Test func installingTheCandidateAsProductionEndsTheRollout() {
        var set = ModelSet()
        #expect(set.route("x") == nil)
        #expect(set.unavailableReason != nil)
        #expect(set.installProduction(Self.loaded(1)) == .installed(previous: nil))
        #expect(set.unavailableReason == nil)
        #expect(set.installProduction(Self.loaded(1)) == .unchanged)
        set.setRollout(Rollout(mode: .canary, version: 2, share: 0.5), candidate: Self.loaded(2, stage: .staging))
        let before = set.generation
        #expect(set.installProduction(Self.loaded(2)) == .installed(previous: 1))
        #expect(set.generation == before + 1)
        #expect(set.candidate == nil)
        #expect(set.rollout == .off)
        #expect((0..<100).allSatisfy { set.route("s\($0)")?.primary.version == 2 })
        set.noteUnavailable("registry down")
        #expect(set.unavailableReason == nil, "a served model stays served")
    }

    @Test func holderSwapsAtomically() async {
        let holder = ModelHolder()
        holder.update { $0.installProduction(Self.loaded(1)) }
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for index in 0..<2000 { holder.update { _ = $0.installProduction(Self.loaded(index % 2 == 0 ? 2 : 1)) } }
                return true
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<2000 {
                        let set = holder.current
                        guard let production = set.production, production.sha256 == "sha-\(production.version)" else { return false }
                    }
                    return true
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test func baselineIsTheArtifactsHistoricalAverage() throws {
        let model = Self.v1
        let baseline = try #require(Baseline(model: model))
        let input = ModelInput(
            segmentID: "seg-a-1", neighborhood: "nowhere", issueTime: ForecastFixture.lastStep, features: [nil, nil], lastSpeedKmh: nil,
            lastFlowVehiclesPerHour: nil)
        // A neighborhood without a fitted ridge gets exactly the historical average from the model.
        let viaModel = try #require(model.predict(input, target: .speed, horizonMinutes: 30))
        let direct = try #require(baseline.value(.speed, segmentID: "seg-a-1", targetTime: ForecastFixture.lastStep + 30 * 60_000))
        #expect(viaModel == direct)
        #expect(baseline.value(.flow, segmentID: "unknown", targetTime: ForecastFixture.lastStep) != nil)
    }
}
