import CablecarDomain
import CablecarFeatures
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

public enum FeatureClientError: Error, CustomStringConvertible, Equatable {
    /// The service refused the request (4xx/5xx) with its reason code.
    case refused(status: Int, reason: String, detail: String)
    case malformedResponse(String)
    /// The stream ended with an error line (the rows before it are incomplete).
    case incomplete(String)
    /// The rows received do not hash to the fingerprint the service sent.
    case fingerprintMismatch(expected: String, computed: String)

    public var description: String {
        switch self {
        case .refused(let status, let reason, let detail): "feature store refused the request (\(status) \(reason)): \(detail)"
        case .malformedResponse(let detail): "feature store answered something unexpected: \(detail)"
        case .incomplete(let detail): "feature snapshot incomplete: \(detail)"
        case .fingerprintMismatch(let expected, let computed):
            "snapshot rows hash to \(computed) but the feature store announced \(expected); the transfer was corrupted"
        }
    }
}

/// Client of the feature store's HTTP API: training sets (`FeatureSnapshotSource`) and online
/// batch get with a read-through, TTL-bounded in-memory cache. Used by the trainer and the
/// forecast service.
public final class FeatureClient: FeatureSnapshotSource, Sendable {
    public let baseURL: URL
    private let session: URLSession
    private let cache: TTLCache<CacheKey, CachedVector>
    /// When true (default), `snapshot` records the snapshot in the store (`POST /api/v1/snapshots`).
    public let recordSnapshots: Bool

    struct CacheKey: Hashable, Sendable {
        var segment: String
        var features: [String]?
    }

    struct CachedVector: Sendable {
        var vector: OnlineFeatureVector
        var featureNames: [String]
        var featureVersions: [String: Int]
    }

    public init(baseURL: URL, cacheTTL: Duration = .seconds(5), recordSnapshots: Bool = true, session: URLSession = .shared) {
        self.baseURL = baseURL
        self.session = session
        self.cache = TTLCache(ttl: cacheTTL)
        self.recordSnapshots = recordSnapshots
    }

    // MARK: Online

    /// The newest vectors of `segments`: cached ones from memory, the rest in one request.
    /// Segments the store has no vector for yet are listed in `missing` (and not cached).
    public func online(segments: [String], features: [String]? = nil) async throws -> OnlineFeatureResponse {
        var found: [String: CachedVector] = [:]
        var misses: [String] = []
        for segment in segments {
            if let hit = cache.value(for: CacheKey(segment: segment, features: features)) {
                found[segment] = hit
            } else if !misses.contains(segment) {
                misses.append(segment)
            }
        }
        var missing: [String] = []
        var names = found.values.first?.featureNames
        var versions = found.values.first?.featureVersions
        if !misses.isEmpty {
            let response: OnlineFeatureResponse = try await post(
                "api/v1/features/online", OnlineFeatureRequest(segments: misses, features: features))
            names = response.featureNames
            versions = response.featureVersions
            missing = response.missing
            for vector in response.vectors {
                let cached = CachedVector(vector: vector, featureNames: response.featureNames, featureVersions: response.featureVersions)
                cache.store(cached, for: CacheKey(segment: vector.segmentID, features: features))
                found[vector.segmentID] = cached
            }
        }
        let vectors = segments.compactMap { found[$0]?.vector }
        return OnlineFeatureResponse(featureNames: names ?? [], featureVersions: versions ?? [:], vectors: vectors, missing: missing)
    }

    /// Puts the vectors of an online answer into the cache (warm-up, or vectors obtained elsewhere).
    public func prime(_ response: OnlineFeatureResponse, features: [String]? = nil) {
        for vector in response.vectors {
            cache.store(
                CachedVector(vector: vector, featureNames: response.featureNames, featureVersions: response.featureVersions),
                for: CacheKey(segment: vector.segmentID, features: features))
        }
    }

    /// Drops every cached vector.
    public func clearCache() { cache.removeAll() }

    // MARK: Historical

    public func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        try await retrieve(request, path: recordSnapshots ? "api/v1/snapshots" : "api/v1/features/historical")
    }

    /// The first and newest materialized step, from the store's catalog (nil before the first step).
    public func materializedSteps() async throws -> ClosedRange<EpochMillis>? {
        struct Catalog: Decodable {
            var firstStep: EpochMillis?
            var lastStep: EpochMillis?
            enum CodingKeys: String, CodingKey {
                case firstStep = "first_step"
                case lastStep = "last_step"
            }
        }
        let (data, _) = try await send("api/v1/features/catalog", method: "GET", body: nil)
        let catalog: Catalog
        do {
            catalog = try JSONDecoder().decode(Catalog.self, from: data)
        } catch {
            throw FeatureClientError.malformedResponse("catalog: \(error)")
        }
        guard let first = catalog.firstStep, let last = catalog.lastStep, first <= last else { return nil }
        return first...last
    }

    /// Point-in-time rows without recording a snapshot.
    public func historical(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        try await retrieve(request, path: "api/v1/features/historical")
    }

    /// Asks for the binary row format (stored bit patterns, no decimal parsing) and accepts
    /// NDJSON from a store that answers with it; either way the rows must hash to the
    /// fingerprint the store announced.
    private func retrieve(_ request: SnapshotRequest, path: String) async throws -> FeatureSnapshot {
        let (data, contentType) = try await send(path, body: try JSONEncoder().encode(request), accept: BinaryRows.contentType)
        let header: SnapshotHeader
        let rows: [FeatureRow]
        let fingerprint: String
        if contentType.hasPrefix(BinaryRows.contentType) {
            let parsed: BinaryRows.Parsed
            do {
                parsed = try BinaryRows.decode(data)
            } catch {
                throw FeatureClientError.malformedResponse(error.description)
            }
            if let error = parsed.trailer.error { throw FeatureClientError.incomplete(error) }
            guard let announced = parsed.trailer.fingerprint else {
                throw FeatureClientError.incomplete("the stream carries no fingerprint")
            }
            guard parsed.rows.count == parsed.trailer.rows else {
                throw FeatureClientError.incomplete("received \(parsed.rows.count) rows, the store sent \(parsed.trailer.rows)")
            }
            guard parsed.computedFingerprint == announced else {
                throw FeatureClientError.fingerprintMismatch(expected: announced, computed: parsed.computedFingerprint)
            }
            (header, rows, fingerprint) = (parsed.header, parsed.rows, announced)
        } else {
            let stream = try NDJSONSnapshot.parse(data)
            let computed = SnapshotFingerprint.compute(
                featureNames: stream.header.featureNames, featureVersions: stream.header.featureVersions, rows: stream.rows)
            guard computed == stream.fingerprint else {
                throw FeatureClientError.fingerprintMismatch(expected: stream.fingerprint, computed: computed)
            }
            (header, rows, fingerprint) = (stream.header, stream.rows, stream.fingerprint)
        }
        return FeatureSnapshot(
            fingerprint: fingerprint, request: request, featureNames: header.featureNames, featureVersions: header.featureVersions,
            rows: rows)
    }

    // MARK: HTTP

    private func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body) async throws -> Answer {
        let (data, _) = try await send(path, body: try JSONEncoder().encode(body))
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw FeatureClientError.malformedResponse("\(error)")
        }
    }

    /// POSTs `body`; answers the response body and its content type.
    private func send(_ path: String, method: String = "POST", body: Data?, accept: String = "application/json") async throws -> (
        Data, String
    ) {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        request.setValue(accept, forHTTPHeaderField: "Accept")
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw FeatureClientError.malformedResponse("not an HTTP response") }
        guard (200..<300).contains(http.statusCode) else {
            // The one error shape of Cablecar's HTTP APIs (docs/schemas.md, "HTTP errors").
            struct Problem: Decodable {
                var code: String
                var error: String
            }
            let problem = try? JSONDecoder().decode(Problem.self, from: data)
            throw FeatureClientError.refused(
                status: http.statusCode, reason: problem?.code ?? "http_\(http.statusCode)",
                detail: problem?.error ?? String(decoding: data.prefix(500), as: UTF8.self))
        }
        return (data, http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }
}

/// Parses the NDJSON stream of a retrieval: header, rows, trailer.
public enum NDJSONSnapshot {
    public struct Parsed: Sendable {
        public var header: SnapshotHeader
        public var rows: [FeatureRow]
        public var fingerprint: String
        public var snapshotID: Int64?
    }

    public static func parse(_ data: Data) throws -> Parsed {
        let newline = UInt8(ascii: "\n")
        var lines = data.split(separator: newline, omittingEmptySubsequences: true)
        guard lines.count >= 2 else { throw FeatureClientError.malformedResponse("a snapshot stream needs a header and a trailer line") }
        let decoder = JSONDecoder()
        let header: SnapshotHeader
        let trailer: SnapshotTrailer
        do {
            header = try decoder.decode(SnapshotHeader.self, from: Data(lines.removeFirst()))
            trailer = try decoder.decode(SnapshotTrailer.self, from: Data(lines.removeLast()))
        } catch {
            throw FeatureClientError.malformedResponse("header or trailer: \(error)")
        }
        if let error = trailer.error { throw FeatureClientError.incomplete(error) }
        guard let fingerprint = trailer.fingerprint else { throw FeatureClientError.incomplete("the stream carries no fingerprint") }
        guard lines.count == trailer.rows else {
            throw FeatureClientError.incomplete("received \(lines.count) rows, the store sent \(trailer.rows)")
        }
        // One decode per chunk of rows (as a JSON array) is much cheaper than one per line.
        var rows: [FeatureRow] = []
        rows.reserveCapacity(lines.count)
        var index = 0
        while index < lines.count {
            let end = min(lines.count, index + 20_000)
            var array = Data("[".utf8)
            for i in index..<end {
                if i > index { array.append(UInt8(ascii: ",")) }
                array.append(contentsOf: lines[i])
            }
            array.append(UInt8(ascii: "]"))
            do {
                rows += try decoder.decode([FeatureRow].self, from: array)
            } catch {
                throw FeatureClientError.malformedResponse("rows \(index)..<\(end): \(error)")
            }
            index = end
        }
        return Parsed(header: header, rows: rows, fingerprint: fingerprint, snapshotID: trailer.snapshotID)
    }
}
