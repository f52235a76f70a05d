import CablecarDomain
import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A snapshot source that waits out a feature store that is away for a moment: restarting
/// (connection refused, or lost mid-transfer), not ready yet, or answering 5xx. Such a failure
/// is retried with back-off (1 s, doubling to 15 s) for up to `patience`; anything else, and
/// the last failure once patience runs out, is the caller's. Without it a retraining that an
/// alert asked for failed for good when it met the feature store mid-restart.
public struct PatientSnapshotSource: FeatureSnapshotSource {
    public let inner: any FeatureSnapshotSource
    public let patience: Duration
    private let logger: Logger

    public init(_ inner: any FeatureSnapshotSource, patience: Duration = .seconds(120), logger: Logger) {
        self.inner = inner
        self.patience = patience
        self.logger = logger
    }

    public func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        try await patiently("a training snapshot") { try await inner.snapshot(request) }
    }

    public func materializedSteps() async throws -> ClosedRange<EpochMillis>? {
        try await patiently("the materialized steps") { try await inner.materializedSteps() }
    }

    /// Whether `error` says the store is away for a moment rather than refusing the request.
    public static func isTransient(_ error: any Error) -> Bool {
        if error is URLError { return true }
        if case .refused(let status, _, _) = error as? FeatureClientError { return status >= 500 }
        return false
    }

    private func patiently<T: Sendable>(_ what: String, _ call: () async throws -> T) async throws -> T {
        try await Patience(patience).run(call, isTransient: Self.isTransient) { error, delay in
            logger.warning(
                "Feature store unavailable; retrying", metadata: ["what": "\(what)", "error": "\(error)", "retry_in": "\(delay)"])
        }
    }
}
