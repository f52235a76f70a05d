@testable import CablecarRegistry
import CablecarDomain
import Foundation
import Testing

/// Pure logic of the registry's HTTP layer: no database needed.
@Suite("Registry HTTP logic")
struct RegistryUnitTests {
    @Test func queryStringsDecodeLikeHTMLForms() {
        let pairs = JSONBody.formDecoded("experiment_name=traffic+compat%2B1&x=a%20b&empty=&flag")
        #expect(pairs.map(\.0) == ["experiment_name", "x", "empty", "flag"])
        #expect(pairs.map(\.1) == ["traffic compat+1", "a b", "", ""])
    }

    @Test func searchFiltersMatchRunsAndRefuseWhatTheyCannotAnswer() throws {
        let run = Run(
            id: String(repeating: "a", count: 32), experimentID: 1, name: "fit", status: .finished, failureReason: nil, startTime: 0,
            endTime: 10, lifecycleStage: "active", userID: "", host: "", params: ["alpha": "0.5"],
            latestMetrics: ["mae": MetricPoint(key: "mae", value: 2.5, timestamp: 0, step: 3)], tags: ["team": "traffic"],
            lineage: RunLineage())
        func matches(_ filter: String) throws -> Bool { try SearchFilter.parse(filter).allSatisfy { try $0.matchesRun(run) } }
        #expect(try matches("tags.team = 'traffic' and params.alpha = \"0.5\""))
        #expect(try matches("metrics.mae < 3 AND attributes.status = 'FINISHED'"))
        #expect(try matches("metrics.mae >= 2.5"))
        #expect(try !matches("metrics.mae > 2.5"))
        #expect(try !matches("tags.team != 'traffic'"))
        #expect(try matches("tags.`team` = 'traffic'"))
        #expect(try matches(""))
        #expect(throws: APIError.self) { try matches("tags.team LIKE 'traf%'") }
        #expect(throws: APIError.self) { try matches("params.alpha > 1") }
        #expect(throws: APIError.self) { try matches("datasets.name = 'x'") }
    }

    @Test func artifactSourcesMapToRunPaths() {
        let run = "0123456789abcdef0123456789abcdef"
        #expect(ArtifactPaths.runArtifactPath(source: "runs:/\(run)/model", runID: run) == "model")
        #expect(ArtifactPaths.runArtifactPath(source: "mlflow-artifacts:/3/\(run)/artifacts/model/sub", runID: run) == "model/sub")
        #expect(ArtifactPaths.runArtifactPath(source: "s3://bucket/elsewhere", runID: run) == nil)
        #expect(ArtifactPaths.split(["3", run, "artifacts", "a", "b.txt"])?.path == "a/b.txt")
        #expect(ArtifactPaths.split(["3", "not-a-run", "artifacts", "a"]) == nil)
    }

    @Test func stageNamesFollowMLflow() {
        #expect(ModelStage.allCases.map(MLflowJSON.stageName) == ["None", "Staging", "Production", "Archived"])
        #expect(ModelStage.allCases.allSatisfy { MLflowJSON.stage(named: MLflowJSON.stageName($0)) == $0 })
        #expect(MLflowJSON.stage(named: "bogus") == nil)
    }

    @Test func adminTokenComparisonIsExact() {
        #expect(AdminAuthorization.constantTimeEqual(Array("s3cret".utf8), Array("s3cret".utf8)))
        #expect(!AdminAuthorization.constantTimeEqual(Array("s3cret".utf8), Array("s3cre".utf8)))
        #expect(!AdminAuthorization.constantTimeEqual(Array("s3cret".utf8), Array("s3creT".utf8)))
    }

    @Test func modelEventsRoundTripAsVersionedJSON() throws {
        let event = ModelEvent(
            eventID: "e1", eventTime: 1_700_000_000_000, kind: .rolledBack, modelName: "speed", modelVersion: 2, fromStage: .archived,
            toStage: .production, actor: "oncall", reason: "drift", runID: "r", artifactSHA256: nil)
        let bytes = try WireCodec.encode(event)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"v\":1"))
        #expect(text.contains("\"kind\":\"rolled_back\""))
        #expect(try WireCodec.decode(ModelEvent.self, from: bytes) == event)
    }
}
