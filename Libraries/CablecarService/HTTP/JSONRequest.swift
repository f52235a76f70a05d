import Foundation
import Hummingbird

/// The one JSON body decoder of Cablecar's own HTTP APIs: reads at most `limit` bytes (a larger
/// body is 413 before it is buffered whole), then decodes `T`; malformed JSON and wrong types are
/// 400 with the decoder's reason, never a 5xx.
public enum JSONRequest {
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let bytes = try await body(of: request, limit: limit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ServiceError.badRequest("request body is not a valid \(T.self): \(describe(error))", code: "invalid_json")
        } catch {
            throw ServiceError.badRequest("request body is not valid JSON: \(error)", code: "invalid_json")
        }
    }

    /// The body's bytes, refusing more than `limit` with 413, and a body whose framing the HTTP
    /// parser refuses while it is read (a chunk size that is not hexadecimal or overflows, too
    /// many trailer bytes) with 400: the request is the client's mistake, not the service's.
    public static func body(of request: Request, limit: Int) async throws -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw ServiceError.tooLarge("request body of \(declared) bytes is larger than the limit of \(limit) bytes")
        }
        var collected: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard collected.count + chunk.readableBytes <= limit else {
                    throw ServiceError.tooLarge("request body is larger than the limit of \(limit) bytes")
                }
                collected.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as ServiceError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw malformedBody(error)
        }
        return collected
    }

    /// The refusal of a body the HTTP parser could not read.
    public static func malformedBody(_ error: any Error) -> ServiceError {
        ServiceError.badRequest(
            "the request body could not be read (\(error)): send it with a Content-Length, or in well-formed chunks",
            code: "malformed_body")
    }

    /// A short reason a person can act on: which field, what was wrong (`DecodingProblem`).
    public static func describe(_ error: DecodingError) -> String { DecodingProblem.describe(error) }
}

extension KeyedDecodingContainer {
    /// Like `decodeIfPresent`, but a field sent as `null` is refused instead of read as absent:
    /// where a document says a field is a number or a list, `null` is a client's mistake, and
    /// reading it as "use the default" would answer a question the client did not ask.
    public func decodeUnlessNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath + [key], debugDescription: "'\(key.stringValue)' is null; leave it out instead"))
        }
        return try decode(type, forKey: key)
    }
}

/// Any JSON object key, to see the keys a body sent beyond the ones a type reads.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Refuses an object with keys other than `known` (a document with
    /// `additionalProperties: false`): a misspelt optional field would otherwise be ignored and
    /// its default used without a word.
    public func refuseUnknownKeys(_ known: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let allowed = Set(known)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath,
                    debugDescription: "unknown field '\(unknown.prefix(100))'; the fields are \(known.joined(separator: ", "))"))
        }
    }
}
