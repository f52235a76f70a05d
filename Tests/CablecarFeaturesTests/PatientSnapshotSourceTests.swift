import CablecarDomain
import CablecarFeatureClient
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A snapshot source that fails with the scripted errors first, then answers.
final class FlakySnapshotSource: FeatureSnapshotSource {
    private let failures: Mutex<[any Error]>
    private let calls = Mutex(0)

    init(failing errors: [any Error]) { failures = Mutex(errors) }

    var callCount: Int { calls.withLock { $0 } }

    func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        calls.withLock { $0 += 1 }
        if let error = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw error }
        return FeatureSnapshot(fingerprint: "f", request: request, featureNames: [], featureVersions: [:], rows: [])
    }
}

@Suite("Patient snapshot source")
struct PatientSnapshotSourceTests {
    static let request = SnapshotRequest(neighborhoods: nil, start: 0, end: 300_000)
    static let logger = Logger(label: "test")

    @Test("a feature store that is restarting (refused connections, 503) is waited out")
    func restartIsWaitedOut() async throws {
        let flaky = FlakySnapshotSource(failing: [
            URLError(.cannotConnectToHost),
            FeatureClientError.refused(status: 503, reason: "not_ready", detail: "starting"),
        ])
        let snapshot = try await PatientSnapshotSource(flaky, patience: .seconds(3600), logger: Self.logger).snapshot(Self.request)
        #expect(snapshot.fingerprint == "f")
        #expect(flaky.callCount == 3)
    }

    @Test("a refusal of the request itself (4xx) is not retried")
    func refusalIsNotRetried() async throws {
        let flaky = FlakySnapshotSource(failing: [FeatureClientError.refused(status: 422, reason: "invalid", detail: "bad range")])
        await #expect(throws: FeatureClientError.self) {
            _ = try await PatientSnapshotSource(flaky, patience: .seconds(60), logger: Self.logger).snapshot(Self.request)
        }
        #expect(flaky.callCount == 1)
    }

    @Test("a feature store that stays away fails the call once patience runs out, with the store's error")
    func patienceRunsOut() async throws {
        let flaky = FlakySnapshotSource(failing: Array(repeating: URLError(.cannotConnectToHost), count: 100))
        await #expect(throws: URLError.self) {
            _ = try await PatientSnapshotSource(flaky, patience: .seconds(2), logger: Self.logger).snapshot(Self.request)
        }
        #expect(flaky.callCount >= 2)
        #expect(flaky.callCount < 100, "it gave up")
    }
}
