import Foundation

/// The feature store's part of `cablecar run`: starts `cablecar-features` beside ingest, waits
/// until it has consumed everything ingest wrote to `obs.*`, and summarizes the stores.
struct FeatureStep {
    static let port = 8082

    /// Starts the service and waits until it is ready (migrations, topics, definitions).
    static func start(children: ChildProcesses, environment: [String: String]) async throws -> FeatureStep {
        try children.start("cablecar-features", environment: environment.merging(["CABLECAR_HTTP_PORT": "\(port)"]) { $1 })
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let status = try? await HTTPGet.fetch("http://127.0.0.1:\(port)/health/ready").status, status == 200 {
                return FeatureStep()
            }
            guard children.allRunning else {
                throw ValidationErrorText(
                    "cablecar-features exited during start-up; see \(children.logDirectory.path)/cablecar-features.log")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ValidationErrorText(
            "cablecar-features did not become ready within 120 s; see \(children.logDirectory.path)/cablecar-features.log")
    }

    struct Catalog: Decodable {
        var features: [Feature]
        var streamClock: Int64?
        var lastStep: Int64?
        var steps: Int
        var offlineRows: Int
        var onlineEntities: Int
        var historyRevisions: Int
        var consumedMessages: Int?

        struct Feature: Decodable {}

        enum CodingKeys: String, CodingKey {
            case features
            case streamClock = "stream_clock"
            case lastStep = "last_step"
            case steps
            case offlineRows = "offline_rows"
            case onlineEntities = "online_entities"
            case historyRevisions = "history_revisions"
            case consumedMessages = "consumed_messages"
        }
    }

    /// What the store holds once caught up: a printable summary and the newest materialized step.
    struct CaughtUp {
        var summary: String
        var lastStep: Int64?
        /// The oldest step, when the steps are contiguous (the stream materializes them in order).
        var firstStep: Int64?
    }

    /// Waits until the feature store has consumed every `obs.*` message and its counts stopped
    /// moving, then returns a short summary and the newest materialized step.
    ///
    /// - Parameter reaching: also wait until the newest materialized step is at least this
    ///   (epoch ms). Data published before ingest started (an import) is read by ingest in
    ///   seconds, but its observations reach `obs.*` only as ingest's watermark passes them, so
    ///   an empty or quiet `obs.*` does not yet mean the store is done.
    func waitUntilCaughtUp(timeout: Duration = .seconds(1800), reaching: Int64? = nil) async throws -> CaughtUp {
        let deadline = ContinuousClock.now + timeout
        let probe = StreamLagProbe(service: "cablecar-features", port: Self.port)
        var last = -1
        var unchanged = 0
        while ContinuousClock.now < deadline {
            let lag = await probe.lag()
            // Under a burst (an import's whole history emitted at once) the catalog's query may
            // fail or time out while the stream writes: a transient answer, asked again.
            let answer = try? await HTTPGet.fetch("http://127.0.0.1:\(Self.port)/api/v1/features/catalog", timeout: 30)
            guard let (status, body) = answer, status == 200 else {
                print("  feature store catalog not available (\(answer.map { "status \($0.status)" } ?? "no answer")); asking again")
                unchanged = 0
                try await Task.sleep(for: .seconds(2))
                continue
            }
            let catalog = try JSONDecoder().decode(Catalog.self, from: body)
            let consumed = catalog.consumedMessages ?? 0
            if consumed == last {
                unchanged += 1
                let reached = reaching.map { wanted in catalog.lastStep.map { $0 >= wanted } ?? false } ?? true
                if lag == 0 && unchanged >= 2 && reached {
                    return CaughtUp(
                        summary: summary(catalog), lastStep: catalog.lastStep,
                        firstStep: catalog.lastStep.map { $0 - Int64(max(catalog.steps - 1, 0)) * 5 * 60_000 })
                }
            } else {
                let waiting = lag.map { "\($0) still waiting on obs.*" } ?? "lag not known yet"
                print("  feature store has consumed \(consumed) observations (\(waiting); \(catalog.steps) five-minute steps done)")
                last = consumed
                unchanged = 0
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw ValidationErrorText("cablecar-features did not catch up with obs.* within \(timeout)")
    }

    func summary(_ catalog: Catalog) -> String {
        let formatter = ISO8601DateFormatter()
        func time(_ ms: Int64?) -> String { ms.map { formatter.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "none" }
        var freshness = "n/a"
        if let clock = catalog.streamClock, let step = catalog.lastStep { freshness = "\((clock - step) / 1000) s behind the stream clock" }
        return """
            feature store:
              features      \(catalog.features.count) definitions
              revisions     \(catalog.historyRevisions) observation revisions stored (event + availability time)
              offline rows  \(catalog.offlineRows) (\(catalog.steps) five-minute steps)
              online        \(catalog.onlineEntities) segments with a current vector
              newest step   \(time(catalog.lastStep)) (stream clock \(time(catalog.streamClock)); freshness \(freshness))
            """
    }
}
