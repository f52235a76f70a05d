import Hummingbird
import Synchronization

/// How many run searches may run at once. Each holds a pooled connection for up to the store's
/// statement timeout, so without a bound a handful of heavy searches (which need no token) took
/// every connection the hosting service has, and its other routes waited. A search beyond the
/// bound is answered at once with 429 `RESOURCE_EXHAUSTED` (MLflow's code for it) instead of
/// queueing for the pool.
final class SearchAdmission: Sendable {
    let limit: Int
    private let running = Mutex(0)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `body` when fewer than `limit` searches are running, else throws the 429.
    func admit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let admitted = running.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw APIError(
                status: .tooManyRequests, code: "RESOURCE_EXHAUSTED",
                message: "\(limit) run searches are already running, the registry's limit "
                    + "(\(RegistryConfiguration.maxConcurrentSearches.name)); retry in a moment")
        }
        defer { running.withLock { $0 -= 1 } }
        return try await body()
    }

    /// Searches running now (tests).
    var inFlight: Int { running.withLock { $0 } }
}
