/// A JSON document with nested objects and arrays, written straight into bytes, for answers on a
/// hot path (Foundation's `JSONEncoder` builds a tree of boxed values first and was the largest
/// single cost of a forecast answer). `WireJSONWriter` does the same for flat wire messages;
/// strings and numbers are written as both it and Foundation write them.
///
/// The writer does not check structure: a caller writes keys and values in order, as the
/// `Encodable` conformance of the same type would, and a test compares the two.
public struct JSONOutput: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// A value that cannot be written as JSON (NaN or infinity).
    public struct NonFiniteNumber: Error, CustomStringConvertible {
        public var key: String
        public var description: String { "'\(key)' is not a finite number" }
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray(_ key: String) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func field(_ key: String, _ value: String) {
        self.key(key)
        string(value)
        needsComma = true
    }

    public mutating func field(_ key: String, _ value: Int64) {
        self.key(key)
        bytes.append(contentsOf: value.description.utf8)
        needsComma = true
    }

    public mutating func field(_ key: String, _ value: Int) { field(key, Int64(value)) }

    public mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    public mutating func field(_ key: String, _ value: Double) throws {
        guard value.isFinite else { throw NonFiniteNumber(key: key) }
        self.key(key)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// Optional fields are left out when nil, as a synthesized `Encodable` does.
    public mutating func field(_ key: String, _ value: String?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Int64?) { if let value { field(key, value) } }
    public mutating func field(_ key: String, _ value: Double?) throws { if let value { try field(key, value) } }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func key(_ key: String) {
        separate()
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func string(_ text: String) { JSONText.appendString(text.utf8, to: &bytes) }
}
