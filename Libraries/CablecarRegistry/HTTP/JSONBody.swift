import CablecarDomain
import Foundation
import Hummingbird

/// MLflow's request bodies are loose (numbers sometimes as strings, optional fields, repeated
/// query parameters on GET), so requests are read as JSON objects with tolerant accessors.
struct JSONBody: @unchecked Sendable {
    // Values come from JSONSerialization (immutable Foundation values) and are only read.
    let object: [String: Any]

    init(_ object: [String: Any]) { self.object = object }

    /// The JSON object of a POST/PATCH/DELETE body, or the query string of a GET.
    static func read(_ request: Request, limit: Int) async throws -> JSONBody {
        var object: [String: Any] = [:]
        for (key, value) in formDecoded(request.uri.query ?? "") {
            if let existing = object[key] {
                object[key] = ((existing as? [Any]) ?? [existing]) + [value]
            } else {
                object[key] = value
            }
        }
        if request.method == .get || request.method == .head { return JSONBody(object) }
        let bytes = try await readBytes(request, limit: limit)
        guard !bytes.isEmpty else { return JSONBody(object) }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            throw APIError.invalid("request body is not valid JSON")
        }
        guard let body = parsed as? [String: Any] else { throw APIError.invalid("request body must be a JSON object") }
        object.merge(body) { _, new in new }
        return JSONBody(object)
    }

    /// Query string pairs, decoded as HTML forms encode them (Python's requests sends a space
    /// as "+", and a literal "+" as "%2B"), so both must be decoded here from the raw query.
    static func formDecoded(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The raw body, refused beyond `limit` (by Content-Length up front, or while reading).
    static func readBytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge("request body of \(length) bytes exceeds the limit of \(limit) bytes")
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError.tooLarge("request body exceeds the limit of \(limit) bytes")
        }
    }

    func string(_ key: String) -> String? {
        switch object[key] {
        case let value as String: return value
        case let value as NSNumber: return value.stringValue
        case let values as [Any]: return values.first.flatMap { JSONBody(["v": $0]).string("v") }
        default: return nil
        }
    }

    func required(_ key: String) throws -> String {
        guard let value = string(key), !value.isEmpty else { throw APIError.missing(key) }
        return value
    }

    /// The first of several names (MLflow sends both `run_id` and the older `run_uuid`).
    func required(_ keys: String...) throws -> String {
        for key in keys { if let value = string(key), !value.isEmpty { return value } }
        throw APIError.missing(keys[0])
    }

    func int64(_ key: String) throws -> Int64? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let value as NSNumber: return value.int64Value
        case let value as String:
            guard let parsed = Int64(value) else { throw APIError.invalid("'\(key)' must be an integer, got '\(value)'") }
            return parsed
        default: throw APIError.invalid("'\(key)' must be an integer")
        }
    }

    func double(_ key: String) throws -> Double? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let value as NSNumber: return value.doubleValue
        case let value as String:
            guard let parsed = Double(value) else { throw APIError.invalid("'\(key)' must be a number, got '\(value)'") }
            return parsed
        default: throw APIError.invalid("'\(key)' must be a number")
        }
    }

    func objects(_ key: String) throws -> [JSONBody] {
        switch object[key] {
        case nil, is NSNull: return []
        case let values as [[String: Any]]: return values.map(JSONBody.init)
        case let values as [Any] where values.isEmpty: return []
        default: throw APIError.invalid("'\(key)' must be a list of objects")
        }
    }

    func strings(_ key: String) -> [String] {
        switch object[key] {
        case let value as String: return [value]
        case let values as [Any]: return values.compactMap { $0 as? String ?? ($0 as? NSNumber)?.stringValue }
        default: return []
        }
    }

    /// MLflow's `[{"key": k, "value": v}]` lists.
    func keyValues(_ key: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in try objects(key) {
            result[try item.required("key")] = item.string("value") ?? ""
        }
        return result
    }

    static func response(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func ok(_ object: [String: Any]) -> Response { response(.ok, object) }
}
