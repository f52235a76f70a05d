import CablecarDomain
import CablecarRegistryAPI
import CablecarService
import Foundation
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// Pure logic of the registry's HTTP layer: no database needed.
@Suite("Registry HTTP logic")
struct RegistryUnitTests {
    @Test func queryStringsDecodeLikeHTMLForms() throws {
        let pairs = try JSONBody.formDecoded("experiment_name=traffic+compat%2B1&x=a%20b&empty=&flag")
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
        #expect(try matches("tags.team LIKE 'traf%'"))
        #expect(try !matches("tags.team LIKE 'Traf%'"))
        #expect(try matches("tags.team ILIKE 'TRAF_IC'"))
        #expect(try matches("attributes.run_name IN ('x', 'fit')"))
        #expect(try !matches("attributes.run_name NOT IN ('x', 'fit')"))
        #expect(try matches("tags.\"mlflow.runName\" = 'fit'"), "the run name is the mlflow.runName tag")
        #expect(try matches("attributes.start_time < 5"))
        #expect(throws: APIError.self) { try matches("params.alpha > 1") }
        #expect(throws: APIError.self) { try matches("datasets.name = 'x'") }
        #expect(throws: APIError.self) { try matches("tags.team = 'traffic' OR tags.team = 'other'") }
        #expect(throws: APIError.self) { try matches("tags.team = 'traffic' or params.alpha = '1'") }
        #expect(throws: APIError.self) { try matches("metrics.mae LIKE '2%'") }
        #expect(throws: APIError.self) { try matches("tags.team = 'unterminated") }
        // Operators and AND/OR inside quoted values are text.
        let quoted = try SearchFilter.parse("tags.note = 'a >= b AND c OR d' AND params.p != \"x=y\"")
        #expect(quoted.map(\.value) == ["a >= b AND c OR d", "x=y"])
        #expect(quoted.map(\.op) == ["=", "!="])
        #expect(try SearchFilter.parse("tags.q = 'it''s'").first?.value == "it's")
    }

    /// MLflow's API stores any 64-bit start and end a client sends; `cablecar runs show` once
    /// trapped on the span of a run started at -2^63 + 1 and ended at 2^63 - 1.
    @Test func aRunsDurationIsNilForTimesNoClockGives() {
        func duration(_ start: EpochMillis, _ end: EpochMillis?) -> EpochMillis? {
            Run(
                id: String(repeating: "b", count: 32), experimentID: 0, name: "r", status: .finished, failureReason: nil,
                startTime: start, endTime: end, lifecycleStage: "active", userID: "", host: "", params: [:], latestMetrics: [:],
                tags: [:], lineage: RunLineage()
            )
            .durationMillis
        }
        #expect(duration(1_000, 4_000) == 3_000)
        #expect(duration(1_000, nil) == nil)
        #expect(duration(-Int64.max, Int64.max) == nil, "a span beyond 64 bits")
        #expect(duration(Int64.min, 0) == nil, "a span beyond 64 bits")
        #expect(duration(4_000, 1_000) == nil, "an end before the start")
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
        #expect(ConstantTime.equal(Array("s3cret".utf8), Array("s3cret".utf8)))
        #expect(!ConstantTime.equal(Array("s3cret".utf8), Array("s3cre".utf8)))
        #expect(!ConstantTime.equal(Array("s3cret".utf8), Array("s3creT".utf8)))
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

    @Test func runSearchOrderingSortsByMetricsAndAttributesWithMissingLast() throws {
        func run(_ id: Character, start: Int64, mae: Double?) -> Run {
            Run(
                id: String(repeating: id, count: 32), experimentID: 1, name: "r\(id)", status: .finished, failureReason: nil,
                startTime: start,
                endTime: nil, lifecycleStage: "active", userID: "", host: "", params: [:],
                latestMetrics: mae.map { ["mae": MetricPoint(key: "mae", value: $0, timestamp: 0, step: 0)] } ?? [:], tags: [:],
                lineage: RunLineage())
        }
        let runs = [run("a", start: 3, mae: 2.0), run("b", start: 2, mae: nil), run("c", start: 1, mae: 1.0)]
        #expect(try RunOrdering(["metrics.mae ASC"]).sorted(runs).map(\.name) == ["rc", "ra", "rb"])
        #expect(try RunOrdering(["metrics.`mae` DESC"]).sorted(runs).map(\.name) == ["ra", "rc", "rb"])
        #expect(try RunOrdering(["attributes.start_time"]).sorted(runs).map(\.name) == ["rc", "rb", "ra"])
        #expect(try RunOrdering([]).sorted(runs).map(\.name) == ["ra", "rb", "rc"])
        #expect(throws: APIError.self) { try RunOrdering(["metrics.mae SIDEWAYS"]) }
        #expect(throws: APIError.self) { try RunOrdering(["attributes.artifact_uri"]) }
    }

    @Test func bareNonFiniteNumbersFromPythonBecomeStringsOutsideStrings() {
        let input = #"{"value": NaN, "b": [Infinity, -Infinity, -1.5], "k": "NaN \" Infinity", "n": 2}"#
        let output = String(decoding: JSONBody.quotingNonFiniteNumbers(Array(input.utf8)), as: UTF8.self)
        #expect(output == #"{"value": "NaN", "b": ["Infinity", "-Infinity", -1.5], "k": "NaN \" Infinity", "n": 2}"#)
        #expect(MLflowJSON.number(.nan) as? String == "NaN")
        #expect(MLflowJSON.number(-.infinity) as? String == "-Infinity")
        #expect(MLflowJSON.number(2.5) as? Double == 2.5)
    }

    /// A dataset input's limits count code points, as Postgres's length() does: within them it is
    /// stored, beyond them it is refused before the database sees it, naming the field.
    @Test func datasetInputLimitsCountWhatTheDatabaseCounts() {
        let good = DatasetInput(name: "readings", digest: String(repeating: "f", count: 36), sourceType: "local", source: "{}")
        #expect(good.problem == nil)
        var digest = good
        digest.digest += "f"
        #expect(digest.problem?.contains("digest has 37 characters") == true)
        // 300 letters with a combining accent each: 300 characters to Swift, 600 to Postgres.
        var accented = good
        accented.name = String(repeating: "e\u{301}", count: 300)
        #expect(accented.name.count == 300)
        #expect(accented.problem?.contains("name has 600 characters; the limit is 500") == true)
        var tagged = good
        tagged.tags = ["mlflow.data.context": String(repeating: "x", count: 501)]
        #expect(tagged.problem?.contains("input tag 'mlflow.data.context'") == true)
        var nul = good
        nul.source = "a\u{0}b"
        #expect(nul.problem?.contains("NUL") == true)
    }
}
