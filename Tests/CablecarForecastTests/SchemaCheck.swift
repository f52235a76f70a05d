import Foundation

/// Any JSON value, decoded strictly (a number is never a boolean).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func parse(_ bytes: some Sequence<UInt8>) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { return value } else { return nil } }
    var number: Double? { if case .number(let value) = self { return value } else { return nil } }
    var array: [JSONValue]? { if case .array(let value) = self { return value } else { return nil } }
}

/// A small JSON Schema checker for the subset the OpenAPI document uses (type, required,
/// properties, additionalProperties: false, items, enum, minimum/maximum, $ref into
/// components): responses in the tests are checked against the document the service serves.
struct SchemaCheck {
    let document: JSONValue

    init(documentBytes: some Sequence<UInt8>) throws { document = try JSONValue.parse(documentBytes) }

    /// Problems of a response body against the schema of `path` / `method` / `status`.
    func problems(_ body: some Sequence<UInt8>, path: String, method: String, status: Int) -> [String] {
        guard let responses = document["paths"]?[path]?[method]?["responses"] else {
            return ["no operation \(method) \(path) in the document"]
        }
        guard let response = responses[String(status)] else { return ["\(method) \(path) documents no status \(status)"] }
        guard let schema = response["content"]?["application/json"]?["schema"] else { return [] }
        guard let value = try? JSONValue.parse(body) else { return ["the body is not JSON"] }
        return check(value, schema, at: "body")
    }

    func check(_ value: JSONValue, _ schema: JSONValue, at place: String) -> [String] {
        if let ref = schema["$ref"]?.string {
            let name = String(ref.split(separator: "/").last ?? "")
            guard let target = document["components"]?["schemas"]?[name] else { return ["\(place): unresolved \(ref)"] }
            return check(value, target, at: place)
        }
        var problems: [String] = []
        if let type = schema["type"] {
            let allowed = type.array?.compactMap(\.string) ?? [type.string ?? ""]
            guard allowed.contains(where: { Self.matches(value, $0) }) else { return ["\(place): \(value) is not \(allowed)"] }
        }
        if let options = schema["enum"]?.array, !options.contains(value) {
            problems.append("\(place): \(value) is not one of \(options)")
        }
        if case .number(let number) = value {
            if let minimum = schema["minimum"]?.number, number < minimum { problems.append("\(place): \(number) < \(minimum)") }
            if let maximum = schema["maximum"]?.number, number > maximum { problems.append("\(place): \(number) > \(maximum)") }
        }
        if case .object(let object) = value {
            for key in schema["required"]?.array?.compactMap(\.string) ?? [] where object[key] == nil {
                problems.append("\(place): missing \(key)")
            }
            for (key, element) in object {
                if let propertySchema = schema["properties"]?[key] {
                    problems += check(element, propertySchema, at: "\(place).\(key)")
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(place): undocumented property \(key)")
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] {
            for (index, element) in array.enumerated() { problems += check(element, items, at: "\(place)[\(index)]") }
        }
        return problems
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let number)): return number.rounded() == number
        default: return false
        }
    }
}
