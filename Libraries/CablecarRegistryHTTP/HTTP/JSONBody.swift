import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Foundation
import Hummingbird

/// MLflow's request bodies follow protobuf's JSON mapping: int64 and double fields arrive as
/// numbers or strings, enums as names or numbers, fields are optional, and GET requests carry
/// them as query parameters. Requests are read as JSON objects with accessors that accept
/// exactly that, and refuse, as MLflow does, a string field given anything but a string.
struct JSONBody: @unchecked Sendable {
    // Values come from JSONSerialization (immutable Foundation values) and are only read.
    let object: [String: Any]

    init(_ object: [String: Any]) { self.object = object }

    /// Longest text of any string in a request (descriptions included).
    static let maxTextLength = 65_536
    /// Longest name (experiments, runs, models, aliases, ids, keys).
    static let maxNameLength = 256
    /// Fields holding names or ids: at most `maxNameLength` characters wherever they appear.
    static let nameFields: Set<String> = [
        "name", "new_name", "alias", "key", "experiment_id", "experiment_name", "run_id", "run_uuid", "run_name", "version",
        "stage", "status", "user_id", "page_token", "view_type", "run_view_type", "parent_id",
    ]

    /// The one check of every string a registry request carries (query, body, nested lists),
    /// before anything reaches Postgres: no NUL (Postgres refuses it in text), names and ids at
    /// most `maxNameLength` characters, any other text at most `maxTextLength`. Per-field value
    /// limits (param and tag values) are the store's.
    static func validateStrings(_ value: Any, field: String = "body") throws {
        switch value {
        case let text as String:
            guard !text.utf8.contains(0) else { throw APIError.invalid("'\(field)' must not contain NUL characters") }
            let limit = nameFields.contains(field) ? maxNameLength : maxTextLength
            guard text.utf8.count <= limit || text.count <= limit else {
                throw APIError.invalid("'\(field)' has \(text.count) characters; the limit is \(limit)")
            }
        case let object as [String: Any]:
            for (key, item) in object {
                guard !key.utf8.contains(0), key.count <= maxNameLength else {
                    throw APIError.invalid("a field name is longer than \(maxNameLength) characters or contains NUL")
                }
                try validateStrings(item, field: key)
            }
        case let list as [Any]:
            for item in list { try validateStrings(item, field: field) }
        default:
            break
        }
    }

    /// The JSON object of a POST/PATCH/DELETE body, or the query string of a GET.
    static func read(_ request: Request, limit: Int) async throws -> JSONBody {
        let body = try await readUnchecked(request, limit: limit)
        try validateStrings(body.object)
        return body
    }

    private static func readUnchecked(_ request: Request, limit: Int) async throws -> JSONBody {
        var object: [String: Any] = [:]
        for (key, value) in try formDecoded(request.uri.query ?? "") {
            if let existing = object[key] {
                object[key] = ((existing as? [Any]) ?? [existing]) + [value]
            } else {
                object[key] = value
            }
        }
        if request.method == .get || request.method == .head { return JSONBody(object) }
        let bytes = try await readBytes(request, limit: limit)
        guard !bytes.isEmpty else { return JSONBody(object) }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(quotingNonFiniteNumbers(bytes)), options: [.fragmentsAllowed])
        else {
            throw APIError.invalid("request body is not valid JSON")
        }
        guard let body = parsed as? [String: Any] else { throw APIError.invalid("request body must be a JSON object") }
        object.merge(body) { _, new in new }
        return JSONBody(object)
    }

    /// Python's json module writes NaN, Infinity and -Infinity as bare tokens (MLflow clients
    /// log NaN losses); JSONSerialization refuses them. Outside strings they become the strings
    /// proto3 JSON uses ("NaN", ...), which the numeric accessors parse.
    static func quotingNonFiniteNumbers(_ bytes: [UInt8]) -> [UInt8] {
        let tokens: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        var index = 0
        outer: while index < bytes.count {
            let byte = bytes[index]
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            if byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I") || byte == UInt8(ascii: "-") {
                for token in tokens where bytes.count - index >= token.count && Array(bytes[index..<index + token.count]) == token {
                    output.append(UInt8(ascii: "\""))
                    output.append(contentsOf: token)
                    output.append(UInt8(ascii: "\""))
                    index += token.count
                    continue outer
                }
            }
            output.append(byte)
            index += 1
        }
        return output
    }

    /// Query string pairs, decoded as HTML forms encode them (Python's requests sends a space
    /// as "+", and a literal "+" as "%2B"), so both must be decoded here from the raw query.
    /// A percent-encoding that does not decode to UTF-8 is refused (400), not passed on raw.
    static func formDecoded(_ query: String) throws -> [(String, String)] {
        try query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) throws -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                guard let decoded = spaced.removingPercentEncoding else {
                    throw APIError.invalid("query parameter '\(parts[0].prefix(100))' is not valid percent-encoded UTF-8")
                }
                return decoded
            }
            return (try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : "")
        }
    }

    /// The raw body, refused beyond `limit` (by Content-Length up front, or while reading), and
    /// refused as malformed when the HTTP parser cannot read its framing (`JSONRequest.body`).
    static func readBytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            return try await JSONRequest.body(of: request, limit: limit)
        } catch let error as ServiceError where error.status == .contentTooLarge {
            throw APIError.tooLarge(error.message)
        } catch let error as ServiceError {
            throw APIError.invalid(error.message)
        }
    }

    /// A string field: a JSON string, or nil when absent or null. A number, boolean, list or
    /// object is refused (MLflow answers INVALID_PARAMETER_VALUE too), never turned into text.
    func string(_ key: String) throws -> String? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let value as String: return value
        case let value?: throw Self.notAString(key, value)
        }
    }

    /// An enum field (view types, run status): its name, or its number as protobuf's JSON
    /// mapping allows (ViewType ALL is "ALL" or 3).
    func enumeration(_ key: String) throws -> String? {
        if let number = object[key] as? NSNumber, !Self.isBoolean(number), let integer = Int64(number.stringValue) {
            return String(integer)
        }
        return try string(key)
    }

    static func notAString(_ key: String, _ value: Any) -> APIError {
        APIError.invalid("Invalid value for parameter '\(key.prefix(100))': expected a string, got \(kind(of: value)); send it quoted")
    }

    /// The JSON type of a decoded value, for error messages.
    static func kind(of value: Any) -> String {
        switch value {
        case let number as NSNumber: return isBoolean(number) ? "a boolean" : "the number \(number.stringValue.prefix(40))"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "a non-string"
        }
    }

    /// JSONSerialization reads true and false as NSNumbers of type char.
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    func required(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else { throw APIError.missing(key) }
        return value
    }

    /// The first of several names (MLflow sends both `run_id` and the older `run_uuid`).
    func required(_ keys: String...) throws -> String {
        for key in keys { if let value = try string(key), !value.isEmpty { return value } }
        throw APIError.missing(keys[0])
    }

    func int64(_ key: String) throws -> Int64? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let value as NSNumber:
            // A JSON number beyond Int64 (or fractional) is refused, not wrapped or truncated.
            if let exact = Int64(value.stringValue) { return exact }
            let number = value.doubleValue
            guard number.isFinite, number == number.rounded(), let exact = Int64(exactly: number) else {
                throw APIError.invalid("'\(key)' must be an integer from \(Int64.min) to \(Int64.max), got \(value.stringValue)")
            }
            return exact
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

    /// The object under `key`; nil when absent or null.
    func object(_ key: String) throws -> JSONBody? {
        switch object[key] {
        case nil, is NSNull: return nil
        case let value as [String: Any]: return JSONBody(value)
        default: throw APIError.invalid("'\(key)' must be an object")
        }
    }

    /// A repeated string field: a list of JSON strings (a single string is taken as a list of
    /// one, as a GET query parameter given once is); any other item is refused.
    func strings(_ key: String) throws -> [String] {
        switch object[key] {
        case nil, is NSNull: return []
        case let value as String: return [value]
        case let values as [Any]:
            return try values.map { item in
                guard let text = item as? String else { throw Self.notAString("\(key)[]", item) }
                return text
            }
        case let value?:
            throw APIError.invalid("Invalid value for parameter '\(key)': expected a list of strings, got \(Self.kind(of: value))")
        }
    }

    /// MLflow's `[{"key": k, "value": v}]` lists.
    func keyValues(_ key: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in try objects(key) {
            result[try item.required("key")] = try item.string("value") ?? ""
        }
        return result
    }

    static func response(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func ok(_ object: [String: Any]) -> Response { response(.ok, object) }
}
