import CablecarDomain
import Foundation

/// Typed reads of a parsed JSON object that fail with the reason code a reader needs:
/// absent → `missing_field`, the string "NaN"/"Infinity" where a number belongs → `not_finite`,
/// anything else of the wrong kind → `wrong_type`.
struct JSONFields {
    let object: [String: Any]
    var eventTime: EpochMillis?
    var neighborhood: String?

    init(_ object: [String: Any]) { self.object = object }

    private func rejection(_ reason: RejectReason, _ detail: String) -> Rejection {
        Rejection(reason, detail, eventTime: eventTime, neighborhood: neighborhood)
    }

    private func value(_ name: String) throws -> Any {
        guard let value = object[name], !(value is NSNull) else { throw rejection(.missingField, "\(name) is missing") }
        return value
    }

    private func number(_ name: String) throws -> NSNumber {
        let value = try value(name)
        // The common case first: casts are a measurable share of validation time.
        if let number = value as? NSNumber { return number }
        if let text = value as? String {
            let lowered = text.lowercased()
            if ["nan", "infinity", "-infinity", "inf", "-inf", "+infinity"].contains(lowered) {
                throw rejection(.notFinite, "\(name) is \(text), not a finite number")
            }
            throw rejection(.wrongType, "\(name) is the string \"\(text.prefix(40))\", not a number")
        }
        guard let number = value as? NSNumber else {
            throw rejection(.wrongType, "\(name) is not a number")
        }
        return number
    }

    func double(_ name: String) throws -> Double {
        let value = try number(name).doubleValue
        guard value.isFinite else { throw rejection(.notFinite, "\(name) is not finite") }
        return value
    }

    func int(_ name: String) throws -> Int {
        let number = try number(name)
        let asDouble = number.doubleValue
        guard asDouble.isFinite else { throw rejection(.notFinite, "\(name) is not finite") }
        guard asDouble.rounded() == asDouble, abs(asDouble) < 9e15 else {
            throw rejection(.wrongType, "\(name) is \(asDouble), not an integer")
        }
        return number.intValue
    }

    func int64(_ name: String) throws -> Int64 { Int64(try int(name)) }

    func optionalInt(_ name: String) throws -> Int? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        _ = value
        return try int(name)
    }

    func string(_ name: String) throws -> String {
        guard let text = try value(name) as? String else { throw rejection(.wrongType, "\(name) is not a string") }
        return text
    }

    func strings(_ name: String) throws -> [String] {
        guard let list = try value(name) as? [Any] else { throw rejection(.wrongType, "\(name) is not a list of strings") }
        var result: [String] = []
        result.reserveCapacity(list.count)
        for element in list {
            guard let text = element as? String else { throw rejection(.wrongType, "\(name) holds a non-string") }
            result.append(text)
        }
        return result
    }

    func outOfRange(_ detail: String) -> Rejection { rejection(.outOfRange, detail) }
    func unknown(_ reason: RejectReason, _ detail: String) -> Rejection { rejection(reason, detail) }
}
