/// A strict byte-level reader for the flat JSON objects the raw feeds publish: one object of
/// numbers, strings, nulls and arrays of strings (events' `segments`).
///
/// Foundation's `JSONSerialization` was about half of ingest's CPU. This scanner is the fast path
/// only: it returns nil for anything it is not certain `JSONSerialization` would read the same way
/// (non-ASCII or `\u` escapes in strings, booleans, nested objects, duplicate keys, unusual numbers,
/// invalid or truncated input), and the caller then falls back to `JSONSerialization`, so strictness
/// and reason codes stay exactly those of the Foundation path.
enum FlatJSONScanner {
    static func scan(_ bytes: [UInt8]) -> [String: JSONValue]? { scan(bytes[...]) }

    /// A slice is read in place: consumed Kafka messages are slices of their batch's buffer.
    static func scan(_ bytes: ArraySlice<UInt8>) -> [String: JSONValue]? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor = Cursor(bytes: buffer)
            return cursor.topLevelObject()
        }
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        private static let minus = UInt8(ascii: "-"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        private mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            index += 1
            return true
        }

        mutating func topLevelObject() -> [String: JSONValue]? {
            skipWhitespace()
            guard consume(UInt8(ascii: "{")) else { return nil }
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(12)
            skipWhitespace()
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipWhitespace()
                    guard let key = string() else { return nil }
                    skipWhitespace()
                    guard consume(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    guard let value = value() else { return nil }
                    // Which of two duplicates wins is Foundation's business: let it decide.
                    guard object.updateValue(value, forKey: key) == nil else { return nil }
                    skipWhitespace()
                    if consume(UInt8(ascii: ",")) { continue }
                    guard consume(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipWhitespace()
            return index == bytes.count ? object : nil
        }

        private mutating func value() -> JSONValue? {
            switch current {
            case Self.quote: return string().map(JSONValue.string)
            case UInt8(ascii: "["): return stringArray()
            case UInt8(ascii: "n"):
                guard bytes.count - index >= 4, bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == UInt8(ascii: "l"),
                    bytes[index + 3] == UInt8(ascii: "l")
                else { return nil }
                index += 4
                return .null
            case .some(let byte) where byte == Self.minus || (Self.zero...Self.nine).contains(byte): return number()
            default: return nil  // booleans, objects, bare NaN/Infinity, truncation: Foundation decides
            }
        }

        private mutating func stringArray() -> JSONValue? {
            guard consume(UInt8(ascii: "[")) else { return nil }
            var list: [String] = []
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .strings(list) }
            while true {
                skipWhitespace()
                guard let element = string() else { return nil }
                list.append(element)
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "]")) else { return nil }
                return .strings(list)
            }
        }

        private mutating func string() -> String? {
            guard consume(Self.quote) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == Self.quote {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == Self.backslash { return escapedString(from: start) }
                guard byte >= 0x20, byte < 0x80 else { return nil }
                index += 1
            }
            return nil
        }

        private mutating func escapedString(from start: Int) -> String? {
            var text = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == Self.quote { return String(decoding: text, as: UTF8.self) }
                guard byte == Self.backslash else {
                    guard byte >= 0x20, byte < 0x80 else { return nil }
                    text.append(byte)
                    continue
                }
                guard let escaped = current else { return nil }
                index += 1
                switch escaped {
                case Self.quote, Self.backslash, UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                default: return nil  // \u escapes (and surrogate rules) are left to Foundation
                }
            }
            return nil
        }

        /// Strict JSON number grammar, limited to tokens whose value cannot depend on the parser:
        /// no negative zero, integers of at most 15 digits, exponents of at most two digits.
        private mutating func number() -> JSONValue? {
            let start = index
            let negative = consume(Self.minus)
            let integerStart = index
            guard let first = current, (Self.zero...Self.nine).contains(first) else { return nil }
            index += 1
            if first != Self.zero { skipDigits() } else if let next = current, (Self.zero...Self.nine).contains(next) { return nil }
            let integerDigits = index - integerStart
            var isInteger = true
            if consume(UInt8(ascii: ".")) {
                isInteger = false
                guard skipDigits() > 0 else { return nil }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if current == UInt8(ascii: "+") || current == Self.minus { index += 1 }
                let exponentDigits = skipDigits()
                guard exponentDigits > 0, exponentDigits <= 2 else { return nil }
            }
            guard index - start <= 32 else { return nil }
            let value: Double
            if isInteger {
                guard integerDigits <= 15 else { return nil }
                var magnitude = 0
                for position in integerStart..<index { magnitude = magnitude * 10 + Int(bytes[position] - Self.zero) }
                value = Double(negative ? -magnitude : magnitude)
            } else {
                let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                guard let parsed = Double(token) else { return nil }
                value = parsed
            }
            guard value.isFinite, !(negative && value == 0) else { return nil }
            return .number(value)
        }

        @discardableResult
        private mutating func skipDigits() -> Int {
            let start = index
            while let byte = current, (Self.zero...Self.nine).contains(byte) { index += 1 }
            return index - start
        }
    }
}
