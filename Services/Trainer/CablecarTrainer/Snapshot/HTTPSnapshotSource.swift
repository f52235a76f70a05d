import CablecarDomain
import CablecarFeatures
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The feature store's historical retrieval as a `FeatureSnapshotSource`: POST the
/// `SnapshotRequest` as JSON and read the NDJSON answer (a `SnapshotHeader`, one `FeatureRow`
/// per line, a `SnapshotTrailer`). A trailer with an error, a row count that disagrees with the
/// header, or a fingerprint that does not match the rows make the snapshot unusable.
public struct HTTPSnapshotSource: FeatureSnapshotSource {
    public static let path = "api/v1/features/historical"

    public var baseURL: URL
    public var path: String
    public var timeout: TimeInterval

    public init(baseURL: URL, path: String = HTTPSnapshotSource.path, timeout: TimeInterval = 1800) {
        self.baseURL = baseURL
        self.path = path
        self.timeout = timeout
    }

    public struct SnapshotError: Error, CustomStringConvertible {
        public var description: String
    }

    public func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.httpBody = try JSONEncoder().encode(request)
        let (data, response) = try await URLSession.shared.data(for: urlRequest)
        guard let http = response as? HTTPURLResponse else {
            throw SnapshotError(description: "no HTTP response from \(baseURL)")
        }
        guard http.statusCode == 200 else {
            let text = String(decoding: data.prefix(500), as: UTF8.self)
            throw SnapshotError(description: "\(baseURL.appendingPathComponent(path)) answered \(http.statusCode): \(text)")
        }
        return try Self.decode(ndjson: data)
    }

    static func decode(ndjson data: Data) throws -> FeatureSnapshot {
        let decoder = JSONDecoder()
        var header: SnapshotHeader?
        var trailer: SnapshotTrailer?
        var rows: [FeatureRow] = []
        var lineNumber = 0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var start = 0
            let count = raw.count
            while start < count {
                var end = start
                while end < count && raw[end] != 0x0A { end += 1 }
                if end > start {
                    lineNumber += 1
                    let line = Data(raw[start..<end])
                    do {
                        if header == nil {
                            header = try decoder.decode(SnapshotHeader.self, from: line)
                            rows.reserveCapacity(header?.expectedRows ?? 0)
                        } else if trailer != nil {
                            throw SnapshotError(description: "data after the trailer")
                        } else if let row = try? decoder.decode(FeatureRow.self, from: line) {
                            rows.append(row)
                        } else {
                            // Not a row: it must be the trailer (a row needs segment_id and values).
                            trailer = try decoder.decode(SnapshotTrailer.self, from: line)
                        }
                    } catch {
                        throw SnapshotError(description: "line \(lineNumber) of the snapshot is not readable: \(error)")
                    }
                }
                start = end + 1
            }
        }
        guard let header else { throw SnapshotError(description: "the snapshot stream is empty") }
        guard let trailer else { throw SnapshotError(description: "the snapshot stream ended without its trailer (cut off?)") }
        if let error = trailer.error { throw SnapshotError(description: "the feature store failed mid-stream: \(error)") }
        guard trailer.rows == rows.count else {
            throw SnapshotError(description: "the trailer counts \(trailer.rows) rows, the stream had \(rows.count)")
        }
        let fingerprint = SnapshotFingerprint.compute(
            featureNames: header.featureNames, featureVersions: header.featureVersions, rows: rows)
        if let claimed = trailer.fingerprint, claimed != fingerprint {
            throw SnapshotError(description: "fingerprint mismatch: the feature store says \(claimed), the rows hash to \(fingerprint)")
        }
        return FeatureSnapshot(
            fingerprint: fingerprint, request: header.request, featureNames: header.featureNames,
            featureVersions: header.featureVersions, rows: rows)
    }
}
