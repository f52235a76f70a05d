import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

@Suite("Run tracking on a real Postgres")
struct RunTrackingTests {
    @Test func parametersAreImmutableAndABatchIsAllOrNothing() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.createExperiment(name: "params", tags: ["team": "traffic"])
            let run = try await h.store.createRun(experimentID: experiment.id, name: "p")
            try await h.store.logParameters(runID: run.id, ["alpha": "0.1", "horizon": "15"])
            // The same value again is fine (MLflow semantics).
            try await h.store.logParameters(runID: run.id, ["alpha": "0.1"])
            let error = await #expect(throws: RegistryError.self) {
                try await h.store.logBatch(
                    runID: run.id, metrics: [MetricPoint(key: "m", value: 1, timestamp: 1)], parameters: ["alpha": "0.2", "beta": "1"])
            }
            #expect(error?.code == .invalidParameter)
            #expect(error?.message.contains("alpha") == true)
            let stored = try await h.store.run(id: run.id)
            #expect(stored?.params == ["alpha": "0.1", "horizon": "15"])
            #expect(stored?.latestMetrics.isEmpty == true)
            #expect(try await h.store.experiment(named: "params")?.tags == ["team": "traffic"])
            await #expect(throws: RegistryError.self) { try await h.store.createExperiment(name: "params") }
        }
    }

    @Test func metricHistoryIsKeptAndLatestIsTheHighestStep() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "metrics")
            let run = try await h.store.createRun(experimentID: experiment.id)
            let points = [(0, 9.0), (1, 7.5), (2, 6.25), (1, 7.0)].map { step, value in
                MetricPoint(key: "mae", value: value, timestamp: 1_000 + Int64(step), step: Int64(step))
            }
            try await h.store.logMetrics(runID: run.id, Array(points.prefix(2)))
            try await h.store.logMetrics(runID: run.id, Array(points.suffix(2)))
            let history = try await h.store.metricHistory(runID: run.id, key: "mae")
            #expect(history.count == 4)
            #expect(history.map(\.step) == [0, 1, 1, 2])
            let latest = try await h.store.run(id: run.id)?.latestMetrics["mae"]
            #expect(latest?.value == 6.25)
            #expect(latest?.step == 2)
        }
    }

    @Test func finishedRunsKeepStatusReasonLineageAndFilter() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "lifecycle")
            let good = try await h.store.createRun(
                experimentID: experiment.id, name: "good", tags: ["trigger": "schedule"], startTime: 1_000)
            let bad = try await h.store.createRun(experimentID: experiment.id, name: "bad", startTime: 2_000)
            try await h.store.recordLineage(
                runID: good.id, datasetFingerprint: "fp-123", featureVersions: ["speed_lag": 2, "flow": 1], codeVersion: "abc123")
            try await h.store.finishRun(runID: good.id, status: .finished, endTime: 4_000)
            let failed = try await h.store.finishRun(runID: bad.id, status: .failed, failureReason: "singular matrix")
            #expect(failed.status == .failed)
            #expect(failed.failureReason == "singular matrix")
            let stored = try await h.store.run(id: good.id)
            #expect(stored?.durationMillis == 3_000)
            #expect(
                stored?.lineage
                    == RunLineage(datasetFingerprint: "fp-123", featureVersions: ["speed_lag": 2, "flow": 1], codeVersion: "abc123"))
            #expect(stored?.id.count == 32)
            let finished = try await h.store.runs(experimentID: experiment.id, filter: RunFilter(status: .finished))
            #expect(finished.map(\.id) == [good.id])
            let tagged = try await h.store.runs(experimentID: experiment.id, filter: RunFilter(tags: ["trigger": "schedule"]))
            #expect(tagged.map(\.id) == [good.id])
            #expect(try await h.store.runs(experimentID: experiment.id).map(\.id) == [bad.id, good.id])
        }
    }

    @Test func artifactsRoundTripWithDigestLimitsAndSafePaths() async throws {
        try await RegistryHarness.with(limits: RegistryStore.Limits(maxArtifactBytes: 1_000)) { h in
            let experiment = try await h.store.ensureExperiment(name: "artifacts")
            let run = try await h.store.createRun(experimentID: experiment.id)
            let bytes = (0..<700).map { UInt8($0 % 251) }
            let digest = try await h.store.putArtifact(runID: run.id, path: "/model//coefficients.bin", bytes: bytes)
            #expect(digest == RegistryStore.sha256Hex(bytes))
            #expect(digest.count == 64)
            #expect(try await h.store.artifact(runID: run.id, path: "model/coefficients.bin") == bytes)
            let listed = try await h.store.artifacts(runID: run.id, prefix: "model")
            #expect(listed == [ArtifactInfo(path: "model/coefficients.bin", sizeBytes: 700, sha256: digest)])
            let tooLarge = await #expect(throws: RegistryError.self) {
                try await h.store.putArtifact(runID: run.id, path: "big.bin", bytes: [UInt8](repeating: 1, count: 1_001))
            }
            #expect(tooLarge?.code == .tooLarge)
            await #expect(throws: RegistryError.self) { try await h.store.putArtifact(runID: run.id, path: "../escape", bytes: [1]) }
            await #expect(throws: RegistryError.self) { try await h.store.artifact(runID: run.id, path: "missing.bin") }
        }
    }
}
