import CablecarDomain
import CablecarFeatureStore
import CablecarFeatures
import CablecarPostgres
import CablecarService
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `cablecar-bench features`: backfill time for `days` simulated days of a whole city,
/// historical retrieval rows/s over HTTP, and online batch reads (the store's Postgres path).
/// Runs in a database of its own on a running Postgres (`cablecar stack up`). The history is
/// synthetic (smooth daily curves with noise and a few corrections): the work per row is what
/// matters here, not realism.
enum FeatureStoreBenchmark {
    struct Figures: Sendable {
        var historyRevisions = 0
        var insertSeconds = 0.0
        var backfill = BackfillResult(start: 0, end: 0, steps: 0, rows: 0)
        var backfillSeconds = 0.0
        var retrievalRows = 0
        /// rows/s per round: "ndjson" and "binary" (raw responses over HTTP), "client"
        /// (FeatureClient), "store-ndjson" and "store-binary" (in process, no HTTP).
        var retrieval: [String: [Double]] = [:]
        var onlinePostgres: [Double] = []
    }

    /// `clientRetrieval` runs one retrieval through a client against the benchmark's server and
    /// answers the rows it received (the bench passes `FeatureClient.historical`).
    static func run(
        city: CityDefinition, days: Int, retrievalDays: Int, rounds: Int = 3, databaseURL: String, logger: Logger,
        clientRetrieval: (@Sendable (URL, SnapshotRequest) async throws -> Int)? = nil
    ) async throws -> Figures {
        return try await BenchDatabase.withOwn(prefix: "features_bench", serverURL: databaseURL, drop: false, logger: logger) { database in
            let client = database.client
            try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
            let computer = try FeatureComputer(city: city)
            var figures = Figures()

            // 1. History: every segment every five minutes, a few corrections.
            let start: EpochMillis = 1_740_988_800_000
            let end = start + EpochMillis(days) * 86_400_000
            let insertStart = ContinuousClock.now
            figures.historyRevisions = try await insertHistory(city: city, start: start, end: end, client: client, logger: logger)
            figures.insertSeconds = seconds(since: insertStart)
            print(
                String(
                    format: "features: stored %d observation revisions (%d days, %d segments) in %.1f s",
                    figures.historyRevisions, days, city.segments.count, figures.insertSeconds))

            // 2. Backfill the whole range.
            let materializer = StepMaterializer(computer: computer)
            let backfillStart = ContinuousClock.now
            figures.backfill = try await Backfill.run(
                start: start, end: end, completedThrough: end - Interval.lengthMillis, materializer: materializer, database: client,
                logger: logger)
            figures.backfillSeconds = seconds(since: backfillStart)
            print(
                String(
                    format: "features: backfill of %d days = %d steps, %d rows in %.1f s (%.0f rows/s)",
                    days, figures.backfill.steps, figures.backfill.rows, figures.backfillSeconds,
                    Double(figures.backfill.rows) / figures.backfillSeconds))

            // A bulk load wakes autovacuum, which would then compete with the measurements below
            // for the machine's cores; settle the tables first, as a deployment's would be.
            let vacuumStart = ContinuousClock.now
            try await client.query("VACUUM (ANALYZE) feature_rows, feature_labels, feature_traffic_history", logger: logger)
            print(String(format: "features: vacuum and analyze after the bulk load in %.1f s", seconds(since: vacuumStart)))

            // 3. Online store: the newest vector of every segment, then batch reads of 100.
            var history = ObservationHistory()
            try await HistoryStore.load(into: &history, from: end - 86_400_000, to: end, on: client, logger: logger)
            let lastRows = computer.rows(instants: [end - Interval.lengthMillis], history: history)
            try await client.withTransaction(logger: logger) { connection in
                try await RowStore.writeOnline(lastRows, featureSet: computer.featureSetID, on: connection, logger: logger)
            }
            let online = OnlineHandler(computer: computer, maxEntities: 500, database: client, logger: logger)
            let ids = city.segments.map(\.id)
            var latencies: [Double] = []
            for i in 0..<1_100 {
                let batch = (0..<100).map { ids[(i * 37 + $0) % ids.count] }
                let t0 = ContinuousClock.now
                let answer = try await online.handle(OnlineFeatureRequest(segments: batch))
                if i >= 100 { latencies.append(seconds(since: t0) * 1000) }
                precondition(answer.vectors.count == 100, "online read returned \(answer.vectors.count) vectors")
            }
            figures.onlinePostgres = latencies

            // 4. Historical retrieval over HTTP, the last `retrievalDays` days of the whole city, in
            //    both formats, rounds interleaved: the raw response (what the server can stream), then
            //    the Swift client's full path (binary, decoded into rows, fingerprint verified).
            let router = Router()
            FeatureRoutes.add(
                to: router, computer: computer,
                configuration: FeatureStoreConfiguration(maxRetrievalRows: 100_000_000), database: client, logger: logger)
            let port = Int.random(in: 20_000..<40_000)
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
            let server = Task { try await app.runService() }
            defer { server.cancel() }
            try await waitForPort(port)
            let baseURL = URL(string: "http://127.0.0.1:\(port)")!
            let request = SnapshotRequest(start: end - EpochMillis(retrievalDays) * 86_400_000, end: end)
            for round in 1...rounds {
                for format in [RetrievalFormat.ndjson, .binary] {
                    let (rows, bytes, elapsed) = try await rawRetrieval(request, format: format, baseURL: baseURL)
                    figures.retrieval[format == .binary ? "binary" : "ndjson", default: []].append(Double(rows) / elapsed)
                    figures.retrievalRows = rows
                    print(
                        String(
                            format:
                                "features: round %d: historical retrieval over HTTP as %@, %d days = %d rows (%.1f MB) in %.2f s = %.0f rows/s",
                            round, format.contentType, retrievalDays, rows, Double(bytes) / 1e6, elapsed, Double(rows) / elapsed))
                }
                if let (rows, bytes, elapsed) = try await curlRetrieval(request, baseURL: baseURL) {
                    figures.retrieval["curl", default: []].append(Double(rows) / elapsed)
                    print(
                        String(
                            format:
                                "features: round %d: historical retrieval as binary rows to curl (a C client) %d rows (%.1f MB) in %.2f s = %.0f rows/s",
                            round, rows, Double(bytes) / 1e6, elapsed, Double(rows) / elapsed))
                }
                if let clientRetrieval {
                    let t0 = ContinuousClock.now
                    let rows = try await clientRetrieval(baseURL, request)
                    let elapsed = seconds(since: t0)
                    figures.retrieval["client", default: []].append(Double(rows) / elapsed)
                    print(
                        String(
                            format:
                                "features: round %d: FeatureClient.historical (binary, rows decoded, fingerprint verified) %d rows in %.2f s = %.0f rows/s",
                            round, rows, elapsed, Double(rows) / elapsed))
                }
            }

            // 5. The store's side alone: read, hash and encode as the endpoint does (bytes discarded).
            let plan = try HistoricalHandler(computer: computer, maxRows: 100_000_000, database: client, logger: logger).plan(request)
            for format in [RetrievalFormat.ndjson, .binary] {
                var hasher = SnapshotFingerprint.Hasher(
                    featureNames: plan.selected.featureNames, featureVersions: plan.selected.featureVersions)
                var buffer = ByteBuffer()
                var count = 0
                let storeStart = ContinuousClock.now
                try await RowStore.readRange(
                    start: request.start, end: request.end, step: request.stepMillis, segments: nil, featureSet: computer.featureSetID,
                    on: client, logger: logger
                ) { row in
                    HistoricalHandler.hash(row, indices: nil, into: &hasher)
                    try format.row(row, indices: plan.indices, allFeatures: true, to: &buffer)
                    count += 1
                    if buffer.readableBytes > 1 << 16 { buffer.clear() }
                }
                let elapsed = seconds(since: storeStart)
                figures.retrieval["store-" + (format == .binary ? "binary" : "ndjson")] = [Double(count) / elapsed]
                print(
                    String(
                        format:
                            "features: the store's side in process (read, hash, encode as %@, no HTTP): %d rows in %.2f s = %.0f rows/s, fingerprint %@",
                        format.contentType, count, elapsed, Double(count) / elapsed, hasher.finalize()))
            }
            return figures
        }
    }

    /// The same binary retrieval fetched by curl into memory-backed storage: what the server
    /// streams when the client costs next to nothing. Nil when curl is not installed.
    static func curlRetrieval(_ request: SnapshotRequest, baseURL: URL) async throws -> (rows: Int, bytes: Int, seconds: Double)? {
        guard let curl = ["/usr/bin/curl", "/usr/local/bin/curl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("features: curl not found; the curl round is left out")
            return nil
        }
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let output = URL(fileURLWithPath: directory).appendingPathComponent("cablecar-bench-\(UUID().uuidString).rows")
        defer { try? FileManager.default.removeItem(at: output) }
        let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = [
            "-sS", "--fail", "-o", output.path, "-H", "Content-Type: application/json", "-H", "Accept: \(BinaryRows.contentType)",
            "--data-binary", body, baseURL.appendingPathComponent("api/v1/features/historical").absoluteString,
        ]
        let t0 = ContinuousClock.now
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        let elapsed = seconds(since: t0)
        guard process.terminationStatus == 0 else {
            throw BenchFailure("curl exited with \(process.terminationStatus)")
        }
        let data = try Data(contentsOf: output)
        let parsed = try BinaryRows.decode(data)
        if let error = parsed.trailer.error { throw BenchFailure(error) }
        guard parsed.computedFingerprint == parsed.trailer.fingerprint else {
            throw BenchFailure("rows fetched by curl do not hash to the announced fingerprint")
        }
        return (parsed.trailer.rows, data.count, elapsed)
    }

    /// One retrieval read whole as bytes (not decoded): rows counted from the trailer.
    static func rawRetrieval(_ request: SnapshotRequest, format: RetrievalFormat, baseURL: URL) async throws -> (
        rows: Int, bytes: Int, seconds: Double
    ) {
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent("api/v1/features/historical"))
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = try JSONEncoder().encode(request)
        urlRequest.setValue(format.contentType, forHTTPHeaderField: "Accept")
        urlRequest.timeoutInterval = 600
        let t0 = ContinuousClock.now
        let (data, _) = try await URLSession.shared.data(for: urlRequest)
        let elapsed = seconds(since: t0)
        let trailerJSON: Data
        switch format {
        case .ndjson:
            let body = data.dropLast()
            trailerJSON = Data(body[((body.lastIndex(of: UInt8(ascii: "\n")) ?? body.startIndex) + 1)...])
        case .binary:
            // The trailer is the last record: `T`, its u32 length, then exactly that much JSON.
            var found: Data?
            var index = data.count - 6
            while index >= 0, found == nil {
                if data[data.startIndex + index] == BinaryRows.trailerTag {
                    let length = data[(data.startIndex + index + 1)..<(data.startIndex + index + 5)].enumerated()
                        .reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                    if index + 5 + length == data.count { found = data.suffix(length) }
                }
                index -= 1
            }
            trailerJSON = found ?? Data()
        }
        let trailer = try JSONDecoder().decode(SnapshotTrailer.self, from: trailerJSON)
        if let error = trailer.error { throw BenchFailure(error) }
        return (trailer.rows, data.count, elapsed)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return elapsed.inSeconds
    }

    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<100 {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/features/catalog")!)
            request.timeoutInterval = 2
            if let (_, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("the benchmark's HTTP server did not start on port \(port)")
    }

    static func insertHistory(city: CityDefinition, start: EpochMillis, end: EpochMillis, client: PostgresClient, logger: Logger)
        async throws -> Int
    {
        var total = 0
        var state: UInt64 = 0x1234_5678
        func noise() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let step = Interval.lengthMillis
        var day = start
        while day < end {
            var traffic: [AvailableTraffic] = []
            var context: [AvailableContext] = []
            var t = day
            while t < min(end, day + 86_400_000) {
                let phase = Double((t - start) % 86_400_000) / 86_400_000 * 2 * Double.pi
                for (index, segment) in city.segments.enumerated() {
                    let speed = segment.freeFlowSpeedKmh * (0.7 + 0.2 * sin(phase + Double(index % 7))) + noise() * 3
                    let flow = segment.capacityPerLane * Double(segment.lanes) * (0.4 + 0.3 * cos(phase)) + noise() * 50
                    let o = TrafficObservation(
                        segmentID: segment.id, neighborhood: segment.neighborhood, eventTime: t, flowVehiclesPerHour: flow,
                        speedKmh: speed, occupancy: 0.2, sampleCount: 4, revision: 0, ingestTime: t + step)
                    traffic.append(AvailableTraffic(o, availableAt: t + step))
                    if noise() < 0.02 {
                        var fixed = o
                        fixed.revision = 1
                        fixed.speedKmh = speed - 5
                        traffic.append(AvailableTraffic(fixed, availableAt: t + 4 * step))
                    }
                }
                for neighborhood in city.neighborhoods {
                    let o = ContextObservation(
                        neighborhood: neighborhood.id, eventTime: t, temperatureCelsius: 12 + 5 * sin(phase), precipitationMmPerHour: 0,
                        visibilityMeters: 9_000, activeScheduledEvents: 0, activeIncidents: noise() < 0.05 ? 1 : 0,
                        transitDelaySeconds: noise() * 90, transitReports: 4, revision: 0, ingestTime: t + step)
                    context.append(AvailableContext(o, availableAt: t + step))
                }
                t += step
            }
            for chunk in stride(from: 0, to: traffic.count, by: 20_000) {
                let part = Array(traffic[chunk..<min(traffic.count, chunk + 20_000)])
                try await client.withTransaction(logger: logger) { connection in
                    try await HistoryStore.insertTraffic(part, on: connection, logger: logger)
                }
            }
            try await client.withTransaction(logger: logger) { connection in
                try await HistoryStore.insertContext(context, on: connection, logger: logger)
            }
            total += traffic.count + context.count
            day += 86_400_000
        }
        return total
    }
}

/// A benchmark step that did not do what it measures.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
