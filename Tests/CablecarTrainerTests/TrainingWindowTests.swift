import CablecarDomain
import Logging
import Testing

@testable import CablecarTrainer

/// A snapshot source that only knows which steps it has materialized.
private struct MaterializedOnly: FeatureSnapshotSource {
    let steps: ClosedRange<EpochMillis>?

    func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        throw TrainingFailure.snapshotUnavailable("not used here")
    }
    func materializedSteps() async throws -> ClosedRange<EpochMillis>? { steps }
}

/// The window logic needs no registry: every call fails the test.
private struct NoRegistry: TrainingRegistry {
    struct Unexpected: Error {}
    func startRun(experiment: String, name: String, tags: [String: String]) async throws -> String { throw Unexpected() }
    func logParams(runID: String, _ params: [String: String]) async throws { throw Unexpected() }
    func logMetrics(runID: String, _ metrics: [(name: String, value: Double)]) async throws { throw Unexpected() }
    func logDataset(runID: String, fingerprint: String, featureVersions: [String: Int], description: [String: String]) async throws {
        throw Unexpected()
    }
    func logArtifact(runID: String, path: String, bytes: [UInt8]) async throws { throw Unexpected() }
    func finishRun(runID: String, failure: String?) async throws { throw Unexpected() }
    func productionModel(_ model: String) async throws -> (version: Int, artifact: [UInt8])? { throw Unexpected() }
    func registerCandidate(model: String, runID: String, artifact: [UInt8], sha256: String, description: String) async throws -> Int {
        throw Unexpected()
    }
    func transition(model: String, version: Int, to stage: String, actor: String, reason: String) async throws { throw Unexpected() }
}

@Suite("Training window against the materialized history")
struct TrainingWindowTests {
    static let day: EpochMillis = 86_400_000
    static let monday: EpochMillis = 1_741_000_000_000 / Interval.lengthMillis * Interval.lengthMillis

    func job(_ steps: ClosedRange<EpochMillis>?) -> TrainingJob {
        TrainingJob(
            source: MaterializedOnly(steps: steps), registry: NoRegistry(), configuration: TrainerConfiguration(),
            logger: Logger(label: "test"))
    }

    func request(_ reason: TrainingRequest.Reason, days: Int) -> TrainingRequest {
        let end = Self.monday + 10 * Self.day
        return TrainingRequest(
            requestID: "r", eventTime: end, start: end - EpochMillis(days) * Self.day, end: end, targets: ["speed_kmh"], reason: reason,
            requestedBy: "test")
    }

    @Test("an alert's 28-day window is narrowed to the 9 days a young deployment has materialized")
    func alertWindowIsNarrowed() async throws {
        let first = Self.monday + Self.day
        let last = Self.monday + 10 * Self.day + 6 * Interval.lengthMillis
        let narrowed = try await job(first...last).withinMaterializedHistory(request(.alert, days: 28))
        #expect(narrowed.start == first)
        #expect(narrowed.end == Self.monday + 10 * Self.day, "never past what was asked")
    }

    @Test("a window that ends after the newest step ends one step after it")
    func endIsTheNewestStep() async throws {
        let last = Self.monday + 8 * Self.day
        let narrowed = try await job(Self.monday...last).withinMaterializedHistory(request(.scheduled, days: 7))
        #expect(narrowed.start == Self.monday + 3 * Self.day)
        #expect(narrowed.end == last + Interval.lengthMillis)
    }

    @Test("an operator's range is used as asked, and nothing materialized inside the window fails with the reason")
    func manualIsKeptAndEmptyFails() async throws {
        let asked = request(.manual, days: 28)
        let kept = try await job(Self.monday...(Self.monday + Self.day)).withinMaterializedHistory(asked)
        #expect(kept.start == asked.start && kept.end == asked.end)
        await #expect(throws: TrainingFailure.self) {
            _ = try await job((Self.monday + 20 * Self.day)...(Self.monday + 21 * Self.day)).withinMaterializedHistory(
                request(.alert, days: 5))
        }
        let unknown = try await job(nil).withinMaterializedHistory(request(.alert, days: 28))
        #expect(unknown.start == request(.alert, days: 28).start, "a source that does not know keeps the window")
    }
}
