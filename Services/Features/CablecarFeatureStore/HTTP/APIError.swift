import Foundation
import Hummingbird

/// A refused request: HTTP status, a stable machine-readable reason and a human detail.
public struct APIError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    public var detail: String
    public var unknown: [String]?

    public init(_ status: Int, _ reason: String, _ detail: String, unknown: [String]? = nil) {
        self.status = status
        self.reason = reason
        self.detail = detail
        self.unknown = unknown
    }

    public var description: String { "\(reason) (\(status)): \(detail)" }

    static func badJSON(_ error: Error) -> APIError {
        APIError(400, "malformed_body", "the body is not the expected JSON: \(error)")
    }
}

/// Reads a JSON body of at most `limit` bytes.
func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws(APIError) -> T {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: limit)
    } catch {
        throw APIError(413, "oversized", "the body is larger than \(limit) bytes")
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    } catch {
        throw APIError.badJSON(error)
    }
}
