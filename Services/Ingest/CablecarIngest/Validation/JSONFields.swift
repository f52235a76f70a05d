import CablecarDomain
import Foundation

/// One top-level value of a raw record: read by `FlatJSONScanner`, or, for anything it leaves to
/// Foundation, the `JSONSerialization` value as is (`foundation`), read exactly as before.
enum JSONValue {
    case number(Double)
    case string(String)
    case null
    case strings([String])
    case foundation(Any)

    var isNull: Bool {
        switch self {
        case .null: true
        case .foundation(let value): value is NSNull
        default: false
        }
    }

    var asString: String? {
        switch self {
        case .string(let text): text
        case .foundation(let value): value as? String
        default: nil
        }
    }
}

/// Typed reads of a parsed JSON object that fail with the reason code a reader needs:
/// absent → `missing_field`, the string "NaN"/"Infinity" where a number belongs → `not_finite`,
/// anything else of the wrong kind → `wrong_type`.
struct JSONFields {
    let object: [String: JSONValue]
    var eventTime: EpochMillis?
    var neighborhood: String?

    init(_ object: [String: JSONValue]) { self.object = object }

    private func rejection(_ reason: RejectReason, _ detail: String) -> Rejection {
        Rejection(reason, detail, eventTime: eventTime, neighborhood: neighborhood)
    }

    private func value(_ name: String) throws -> JSONValue {
        guard let value = object[name], !value.isNull else { throw rejection(.missingField, "\(name) is missing") }
        return value
    }

    private func notANumber(_ name: String, _ text: String) -> Rejection {
        let lowered = text.lowercased()
        if ["nan", "infinity", "-infinity", "inf", "-inf", "+infinity"].contains(lowered) {
            return rejection(.notFinite, "\(name) is \(text), not a finite number")
        }
        return rejection(.wrongType, "\(name) is the string \"\(text.prefix(40))\", not a number")
    }

    /// The number's value, and for Foundation values the `NSNumber` itself (its `intValue` is what
    /// `int` returned before the scanner existed).
    private func number(_ name: String) throws -> (value: Double, foundation: NSNumber?) {
        switch try value(name) {
        case .number(let value): return (value, nil)
        case .string(let text): throw notANumber(name, text)
        case .foundation(let value):
            // The common case first: casts are a measurable share of validation time.
            if let number = value as? NSNumber { return (number.doubleValue, number) }
            if let text = value as? String { throw notANumber(name, text) }
            throw rejection(.wrongType, "\(name) is not a number")
        case .null, .strings: throw rejection(.wrongType, "\(name) is not a number")
        }
    }

    func double(_ name: String) throws -> Double {
        let value = try number(name).value
        guard value.isFinite else { throw rejection(.notFinite, "\(name) is not finite") }
        return value
    }

    func int(_ name: String) throws -> Int {
        let (asDouble, foundation) = try number(name)
        guard asDouble.isFinite else { throw rejection(.notFinite, "\(name) is not finite") }
        guard asDouble.rounded() == asDouble, abs(asDouble) < 9e15 else {
            throw rejection(.wrongType, "\(name) is \(asDouble), not an integer")
        }
        return foundation?.intValue ?? Int(asDouble)
    }

    func int64(_ name: String) throws -> Int64 { Int64(try int(name)) }

    func optionalInt(_ name: String) throws -> Int? {
        guard let value = object[name], !value.isNull else { return nil }
        return try int(name)
    }

    func string(_ name: String) throws -> String {
        guard let text = try value(name).asString else { throw rejection(.wrongType, "\(name) is not a string") }
        return text
    }

    func strings(_ name: String) throws -> [String] {
        switch try value(name) {
        case .strings(let list): return list
        case .foundation(let value):
            guard let list = value as? [Any] else { throw rejection(.wrongType, "\(name) is not a list of strings") }
            var result: [String] = []
            result.reserveCapacity(list.count)
            for element in list {
                guard let text = element as? String else { throw rejection(.wrongType, "\(name) holds a non-string") }
                result.append(text)
            }
            return result
        case .number, .string, .null: throw rejection(.wrongType, "\(name) is not a list of strings")
        }
    }

    func outOfRange(_ detail: String) -> Rejection { rejection(.outOfRange, detail) }
    func unknown(_ reason: RejectReason, _ detail: String) -> Rejection { rejection(reason, detail) }
}
