import CablecarDomain
import Foundation
import Synchronization

/// Wall time spent per pipeline phase since start, so a benchmark (or an operator reading the
/// logs) can see where a batch's time goes: waiting for input, the database transaction and its
/// steps, or publishing.
public final class PhaseTimings: Sendable {
    private struct Totals {
        var byPhase: [String: Duration] = [:]
        var order: [String] = []
    }

    private let totals = Mutex(Totals())

    /// The phase that covers the first fetch, including joining the consumer group.
    public static let firstBatch = "first batch (group join)"

    public init() {}

    /// Runs `body` on the caller's actor, adding its duration to `phase`.
    func measure<T>(
        _ phase: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> sending T
    ) async rethrows -> sending T {
        let start = ContinuousClock.now
        defer { add(phase, ContinuousClock.now - start) }
        return try await body()
    }

    func add(_ phase: String, _ duration: Duration) {
        totals.withLock { totals in
            if totals.byPhase[phase] == nil { totals.order.append(phase) }
            totals.byPhase[phase, default: .zero] += duration
        }
    }

    /// Phases in first-seen order with their total seconds.
    public var seconds: [(phase: String, seconds: Double)] {
        totals.withLock { totals in
            totals.order.map { phase in
                let duration = totals.byPhase[phase] ?? .zero
                return (phase, duration.inSeconds)
            }
        }
    }
}
