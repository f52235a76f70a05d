import CablecarDomain
import CablecarFeatureClient
import CablecarFeatures
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CablecarFeatureStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The feature store against a real broker and Postgres: a stream with late corrections and
/// outages, consumed by a pipeline that crashes mid-stream and is restarted; then retrieval,
/// online reads, backfill and snapshots are checked against an independent reference.
@Suite("Feature store (real broker and Postgres)")
struct FeatureStoreIntegrationTests {
    static let step = StreamScenario.step

    @Test("stream with a crash mid-way: no loss, no duplicates, no leakage, no skew, retrieval equals a brute-force reference")
    func streamRestartLeakageSkewAndReference() async throws {
        // 8 days and a bit: long enough for the last-week features to have values.
        let scenario = try StreamScenario(intervals: 8 * 288 + 96)
        try await FeatureStoreHarness.with(city: StreamScenario.city) { harness in
            // 1. First instance consumes part of the stream, then dies without committing offsets.
            let half = scenario.messages.count / 2
            try await harness.publish(scenario.messages[..<half])
            try await runAndCrash(harness, after: StreamScenario.start + EpochMillis(4 * 288) * Self.step)
            let stepsBefore = try await harness.scalar("SELECT count(*) FROM feature_steps")
            #expect(stepsBefore > 0)

            // 2. The rest of the stream arrives; a second instance takes over (redelivery included).
            try await harness.publish(scenario.messages[half...])
            let second = try harness.pipeline(partitionIdleAfter: Self.patientIdle)
            let secondRun = Task { try await second.run() }
            // The clock stops at the slowest partition's newest interval, so the last step may be a little short.
            try await harness.waitForStep(scenario.lastInterval - 12 * Self.step, second)
            try await harness.waitUntilQuiet(second)
            second.stop()
            try await secondRun.value
            let lastStep = try #require(second.progress.value.lastStep)
            let firstStep = scenario.firstInterval + Self.step

            // No loss, no duplicates: every revision once, every step once, one row per segment and step.
            let revisions = Set(scenario.traffic.map { "\($0.segmentID)@\($0.eventTime)@\($0.revision)" })
            #expect(try await harness.scalar("SELECT count(*) FROM feature_traffic_history") == Int64(revisions.count))
            #expect(try await harness.scalar("SELECT count(*) FROM feature_context_history") == Int64(scenario.context.count))
            let steps = Int64((lastStep - firstStep) / Self.step + 1)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_steps") == steps)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_rows") == steps * 6)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_steps WHERE NOT published") == 0)
            let ready = try await harness.drainReady(expecting: Int(steps))
            #expect(Set(ready.map(\.timestamp)) == Set(stride(from: firstStep, through: lastStep, by: Int(Self.step))))
            #expect(ready.allSatisfy { $0.rows == 6 && $0.featureSet == harness.computer.featureSetID })

            // Availability: never before the interval ended; a correction never before its first revision.
            #expect(try await harness.scalar("SELECT count(*) FROM feature_traffic_history WHERE available_at < event_time + 300000") == 0)
            #expect(
                try await harness.scalar(
                    """
                    SELECT count(*) FROM feature_traffic_history c JOIN feature_traffic_history o
                      ON o.segment_id = c.segment_id AND o.event_time = c.event_time AND o.revision = c.revision - 1
                    WHERE c.available_at < o.available_at
                    """) == 0)

            let stored = try await harness.storedHistory()
            let reference = BruteForceReference(city: StreamScenario.city, traffic: stored.traffic, context: stored.context)
            let names = harness.computer.featureNames

            try await withApplication(harness) { client in
                // Historical retrieval over HTTP equals the brute-force reference on every row.
                let request = SnapshotRequest(start: firstStep, end: lastStep + Self.step)
                let snapshot = try await client.historical(request)
                #expect(snapshot.rows.count == Int(steps) * 6)
                var mismatches: [String] = []
                for row in snapshot.rows {
                    let expected = reference.values(segment: row.segmentID, at: row.timestamp, names: names)
                    for (index, name) in names.enumerated() where !close(row.values[index], expected[index]) {
                        mismatches.append(
                            "\(row.segmentID)@\(row.timestamp) \(name): got \(String(describing: row.values[index])), want \(String(describing: expected[index]))"
                        )
                    }
                    let label = reference.label(segment: row.segmentID, at: row.timestamp)
                    if !close(row.actualSpeedKmh, label.speed) || !close(row.actualFlowVehiclesPerHour, label.flow) {
                        mismatches.append("\(row.segmentID)@\(row.timestamp) label")
                    }
                }
                #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")

                // Leakage, checked directly on random (segment, instant) pairs: recomputing each
                // row from only the revisions available at its instant gives the same values, and
                // the data set contains corrections that would have changed them.
                var random = SplitMix(seed: 7)
                let byKey = Dictionary(uniqueKeysWithValues: snapshot.rows.map { ("\($0.segmentID)@\($0.timestamp)", $0) })
                var changedByLateData = 0
                for _ in 0..<120 {
                    let segment = StreamScenario.city.segments[Int(random.next() % 6)].id
                    let t = firstStep + EpochMillis(random.next() % UInt64(steps)) * Self.step
                    let row = try #require(byKey["\(segment)@\(t)"])
                    let visible = BruteForceReference(
                        city: StreamScenario.city, traffic: stored.traffic.filter { $0.availableAt <= t },
                        context: stored.context.filter { $0.availableAt <= t })
                    let expected = visible.values(segment: segment, at: t, names: names)
                    #expect(zip(row.values, expected).allSatisfy { close($0, $1) }, "\(segment)@\(t) depends on later data")
                    let everything = BruteForceReference(
                        city: StreamScenario.city,
                        traffic: stored.traffic.map {
                            var r = $0
                            r.availableAt = .min
                            return r
                        },
                        context: stored.context.map {
                            var r = $0
                            r.availableAt = .min
                            return r
                        })
                    if !zip(expected, everything.values(segment: segment, at: t, names: names)).allSatisfy({ close($0, $1) }) {
                        changedByLateData += 1
                    }
                }
                #expect(changedByLateData > 0, "the scenario must contain data that later knowledge would change")

                // Late correction, concretely: the first revision is used until the correction is available.
                let corrected = try #require(
                    stored.traffic.filter {
                        $0.revision == 1 && $0.intervalStart > firstStep + 12 * Self.step && $0.intervalStart + 13 * Self.step < lastStep
                    }.first)
                let original = try #require(
                    stored.traffic.first {
                        $0.segment == corrected.segment && $0.intervalStart == corrected.intervalStart && $0.revision == 0
                    })
                let lag1 = try #require(byKey["\(corrected.segment)@\(corrected.intervalStart + Self.step)"])
                #expect(close(lag1.values[names.firstIndex(of: "flow_lag_1")!], original.flow))
                let labelRow = try #require(byKey["\(corrected.segment)@\(corrected.intervalStart)"])
                #expect((labelRow.actualFlowVehiclesPerHour ?? 0) >= corrected.flow)

                // TTL: during s-b's outage, s-c's upstream speed survives 15 minutes, then is nil.
                let outageStart = StreamScenario.start + EpochMillis(scenario.outage.lowerBound) * Self.step
                let upstream = names.firstIndex(of: "upstream_speed")!
                let early = try #require(byKey["s-c@\(outageStart + Self.step)"])
                let late = try #require(byKey["s-c@\(outageStart + 5 * Self.step)"])
                #expect(early.values[upstream] != nil)
                #expect(late.values[upstream] == nil)
                let temperature = names.firstIndex(of: "temperature_c")!
                #expect(try #require(byKey["s-a@\(outageStart + 6 * Self.step)"]).values[temperature] != nil)
                #expect(try #require(byKey["s-a@\(outageStart + 16 * Self.step)"]).values[temperature] == nil)

                // Skew: the online vector of each segment equals historical retrieval at its instant.
                let segments = StreamScenario.city.segments.map(\.id)
                let online = try await client.online(segments: segments)
                #expect(online.vectors.count == 6)
                #expect(online.featureNames == names)
                for vector in online.vectors {
                    #expect(vector.timestamp == lastStep)
                    let row = try #require(byKey["\(vector.segmentID)@\(vector.timestamp)"])
                    #expect(vector.values == row.values, "online and offline differ for \(vector.segmentID)")
                }

                // The materialized range a trainer narrows its alert windows to.
                #expect(try await client.materializedSteps() == firstStep...lastStep)

                // Snapshots: recorded, reproducible fingerprint.
                let one = try await client.snapshot(request)
                let two = try await client.snapshot(request)
                #expect(one.fingerprint == two.fingerprint)
                #expect(one.fingerprint == snapshot.fingerprint)
                #expect(try await harness.scalar("SELECT count(DISTINCT fingerprint) FROM feature_snapshots") == 1)
                #expect(try await harness.scalar("SELECT count(*) FROM feature_snapshots") == 2)

                // Both wire formats carry the same rows and fingerprint: NDJSON (any HTTP client,
                // no Accept header) and the binary rows FeatureClient asks for; also for a subset
                // of features and neighborhoods on a coarser grid.
                let ndjson = try NDJSONSnapshot.parse(try await Self.postWithoutAccept(request, to: client.baseURL))
                #expect(ndjson.rows == snapshot.rows)
                #expect(ndjson.fingerprint == snapshot.fingerprint)
                let picked = ["speed_mean_15m", "flow_lag_1"]
                let subset = SnapshotRequest(
                    neighborhoods: ["south"], start: firstStep, end: lastStep + Self.step, stepMillis: 2 * Self.step, features: picked)
                let binarySubset = try await client.historical(subset)
                let ndjsonSubset = try NDJSONSnapshot.parse(try await Self.postWithoutAccept(subset, to: client.baseURL))
                #expect(!binarySubset.rows.isEmpty)
                #expect(binarySubset.rows == ndjsonSubset.rows)
                #expect(binarySubset.fingerprint == ndjsonSubset.fingerprint)
                #expect(binarySubset.fingerprint != snapshot.fingerprint)
                let southSegments = Set(StreamScenario.city.segments.filter { $0.neighborhood == "south" }.map(\.id))
                for row in binarySubset.rows {
                    #expect(southSegments.contains(row.segmentID))
                    #expect((row.timestamp - firstStep) % (2 * Self.step) == 0)
                    let full = try #require(byKey["\(row.segmentID)@\(row.timestamp)"])
                    #expect(row.values == picked.map { full.values[names.firstIndex(of: $0)!] })
                    #expect(row.actualSpeedKmh == full.actualSpeedKmh && row.actualFlowVehiclesPerHour == full.actualFlowVehiclesPerHour)
                }
            }

            // Backfill recomputes from the stored history: identical to what the stream wrote, twice.
            let digest: PostgresQuery =
                "SELECT md5(string_agg(ts::text || segment_id || neighborhood || feature_set || encode(vals, 'hex'), ',' ORDER BY ts, segment_id)) FROM feature_rows"
            let streamed = try await harness.text(digest)
            try await harness.database.query(
                "DELETE FROM feature_rows WHERE ts >= \(firstStep + 288 * Self.step)", logger: TestStack.logger)
            let materializer = StepMaterializer(computer: harness.computer)
            let once = try await Backfill.run(
                start: firstStep, end: lastStep + Self.step, completedThrough: lastStep, materializer: materializer,
                database: harness.database, logger: TestStack.logger)
            #expect(once.rows == Int(steps) * 6)
            #expect(try await harness.text(digest) == streamed)
            _ = try await Backfill.run(
                start: firstStep, end: lastStep + Self.step, completedThrough: lastStep, materializer: materializer,
                database: harness.database, logger: TestStack.logger)
            #expect(try await harness.text(digest) == streamed)
        }
    }

    @Test("bad requests get a 4xx with a reason")
    func badRequests() async throws {
        try await FeatureStoreHarness.with(city: StreamScenario.city, maxEntities: 4) { harness in
            let router = Router()
            FeatureRoutes.add(
                to: router, computer: harness.computer, configuration: harness.configuration, database: harness.database,
                logger: TestStack.logger)
            let app = Application(router: router)
            let cases: [(uri: String, body: String, status: Int, reason: String)] = [
                ("/api/v1/features/online", "{\"segments\":[\"s-a\",\"s-b\",\"s-c\",\"s-d\",\"s-e\"]}", 400, "too_many_entities"),
                ("/api/v1/features/online", "{\"segments\":[]}", 400, "no_entities"),
                ("/api/v1/features/online", "{\"segments\":[\"s-a\",\"nope\"]}", 404, "unknown_entities"),
                ("/api/v1/features/online", "{\"segments\":[\"s-a\"],\"features\":[\"bogus\"]}", 400, "unknown_features"),
                ("/api/v1/features/online", "{\"segments\":", 400, "invalid_json"),
                ("/api/v1/features/historical", "{\"start\":1740988800001,\"end\":1740999000000,\"step_ms\":300000}", 400, "invalid_range"),
                ("/api/v1/features/historical", "{\"start\":1740988800000,\"end\":1740900000000,\"step_ms\":300000}", 400, "invalid_range"),
                ("/api/v1/features/historical", "{\"start\":1740988800000,\"end\":1750988800000,\"step_ms\":300000}", 400, "too_many_rows"),
                (
                    "/api/v1/features/historical",
                    "{\"start\":1740988800000,\"end\":1740999000000,\"step_ms\":300000,\"neighborhoods\":[\"atlantis\"]}", 404,
                    "unknown_entities"
                ),
                ("/api/v1/snapshots", "[1,2]", 400, "invalid_json"),
                ("/api/v1/features/backfill", "{\"start\":5,\"end\":1}", 400, "invalid_range"),
                // Untrusted numbers: extremes, overflow-prone spans, floats where integers belong.
                (
                    "/api/v1/features/historical", "{\"start\":-9223372036854775808,\"end\":9223372036854775807,\"step_ms\":300000}", 400,
                    "invalid_range"
                ),
                (
                    "/api/v1/features/historical", "{\"start\":1740988800000,\"end\":9223372036854775807,\"step_ms\":300000}", 400,
                    "invalid_range"
                ),
                (
                    "/api/v1/features/historical", "{\"start\":1740988800000,\"end\":1740999000000,\"step_ms\":9223372036854775807}", 400,
                    "invalid_range"
                ),
                (
                    "/api/v1/features/historical", "{\"start\":1740988800000,\"end\":1740999000000,\"step_ms\":-300000}", 400,
                    "invalid_range"
                ),
                ("/api/v1/features/historical", "{\"start\":1e300,\"end\":1740999000000,\"step_ms\":300000}", 400, "invalid_json"),
                ("/api/v1/features/historical", "{\"start\":\"NaN\",\"end\":1740999000000,\"step_ms\":300000}", 400, "invalid_json"),
                // 2000-01-01 to 2100-01-01 in 5-minute steps over the whole city: refused by arithmetic, nothing allocated.
                ("/api/v1/snapshots", "{\"start\":946684800000,\"end\":4102444800000,\"step_ms\":300000}", 400, "too_many_rows"),
                ("/api/v1/features/backfill", "{\"start\":-9223372036854775808,\"end\":9223372036854775807}", 400, "invalid_range"),
                ("/api/v1/features/backfill", "{\"start\":9223372036854775000,\"end\":9223372036854775807}", 400, "invalid_range"),
                ("/api/v1/features/online", "{\"segments\":[\"s-a\\u0000\"]}", 404, "unknown_entities"),
            ]
            try await app.test(.router) { client in
                for item in cases {
                    try await client.execute(uri: item.uri, method: .post, body: ByteBuffer(string: item.body)) { response in
                        #expect(Int(response.status.code) == item.status, "\(item.uri) \(item.body)")
                        struct Shape: Decodable {
                            var error: String
                            var code: String
                        }
                        let error = try? JSONDecoder().decode(Shape.self, from: Data(buffer: response.body))
                        #expect(error?.code == item.reason, "\(item.uri) \(item.body)")
                        #expect(error?.error.isEmpty == false)
                    }
                }
                // A known segment without a vector yet is reported missing, not an error.
                try await client.execute(
                    uri: "/api/v1/features/online", method: .post, body: ByteBuffer(string: "{\"segments\":[\"s-a\"]}")
                ) { response in
                    #expect(response.status == .ok)
                    let answer = try JSONDecoder().decode(OnlineFeatureResponse.self, from: Data(buffer: response.body))
                    #expect(answer.missing == ["s-a"])
                }
                try await client.execute(uri: "/api/v1/features/catalog", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("\"speed_lag_1\""))
                }
            }
        }
    }

    @Test("a changed definition under an old version refuses to start")
    func changedDefinitionNeedsNewVersion() async throws {
        try await FeatureStoreHarness.with(city: StreamScenario.city) { harness in
            try await DefinitionRegistry.register(FeatureCatalog.current, on: harness.database, logger: TestStack.logger)
            // Registering the same definitions again is fine (every start-up does it).
            try await DefinitionRegistry.register(FeatureCatalog.current, on: harness.database, logger: TestStack.logger)
            var changed = FeatureCatalog.current
            changed[0].ttlMinutes += 5
            await #expect(throws: DefinitionRegistryError.changedWithoutNewVersion(name: changed[0].name, version: changed[0].version)) {
                try await DefinitionRegistry.register(changed, on: harness.database, logger: TestStack.logger)
            }
            changed[0].version += 1
            try await DefinitionRegistry.register(changed, on: harness.database, logger: TestStack.logger)
            #expect(try await harness.scalar("SELECT count(*) FROM feature_definitions WHERE name = \(changed[0].name)") == 2)
        }
    }

    /// Runs a pipeline until it wrote `step`, then crashes it. The pipeline (and its consumer)
    /// is gone when this returns, so its group membership expires and a successor gets the partitions.
    /// The TTL and availability assertions below need every context revision stamped with the
    /// clock of its own arrival, not one moved on because a starved fetch looked like silence.
    static let patientIdle: Duration = .seconds(60)

    func runAndCrash(_ harness: FeatureStoreHarness, after step: EpochMillis) async throws {
        let pipeline = try harness.pipeline(partitionIdleAfter: Self.patientIdle)
        let task = Task { try await pipeline.run() }
        try await harness.waitForStep(step, pipeline)
        pipeline.crash()
        _ = try? await task.value
    }

    /// A retrieval as a plain HTTP client makes it (no Accept header): the NDJSON body.
    static func postWithoutAccept(_ request: SnapshotRequest, to baseURL: URL) async throws -> Data {
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent("api/v1/features/historical"))
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = try JSONEncoder().encode(request)
        let (data, response) = try await URLSession.shared.data(for: urlRequest)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") == "application/x-ndjson")
        return data
    }

    /// Runs the feature routes on a real port and hands out a `FeatureClient` for it.
    func withApplication(_ harness: FeatureStoreHarness, _ body: @Sendable @escaping (FeatureClient) async throws -> Void) async throws {
        let router = Router()
        FeatureRoutes.add(
            to: router, computer: harness.computer, configuration: harness.configuration, database: harness.database,
            logger: TestStack.logger)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(FeatureClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, cacheTTL: .seconds(30)))
        }
    }
}
