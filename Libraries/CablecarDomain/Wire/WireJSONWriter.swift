/// A message that writes its own wire JSON, byte-identical to `WireCodec.encode` (sorted keys,
/// numbers as Foundation writes them, absent optionals omitted).
///
/// Why: `JSONEncoder` builds a keyed container, a dictionary and a key sort per message. That
/// was about half of the simulator's time and a large share of ingest's emission; writing the
/// same bytes directly is several times faster. Tests compare every conforming type with
/// `WireCodec`, so the two cannot drift apart unnoticed.
public protocol FastWireEncodable: SchemaVersioned {
    /// Appends this message's JSON; keys must be written in sorted order.
    func appendWireJSON(to writer: inout WireJSONWriter)
}

extension FastWireEncodable {
    /// Throws, as `WireCodec.encode` does, when a number has no JSON form (NaN, infinity).
    public func wireBytes() throws(WireEncodingError) -> [UInt8] {
        var writer = WireJSONWriter()
        appendWireJSON(to: &writer)
        return try writer.finish()
    }
}

/// A field that JSON cannot carry; the message is not written.
public struct WireEncodingError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var value: Double
    public var description: String { "cannot write \(field) = \(value) as JSON: only finite numbers have a JSON form" }
}

/// Builds one flat JSON object, field by field.
public struct WireJSONWriter: Sendable {
    private var bytes: [UInt8]
    private var first = true
    private var nonFinite: WireEncodingError?

    public init() {
        bytes = []
        bytes.reserveCapacity(256)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func int<T: BinaryInteger>(_ name: StaticString, _ value: T) {
        key(name)
        if let value = Int64(exactly: value) { appendDecimal(value) } else { bytes.append(contentsOf: String(value).utf8) }
    }

    /// Digits written straight into the output: `String(value)` of a generic integer was a
    /// tenth of the simulator's time.
    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
    }

    /// Foundation writes a Double as its `description`, minus a trailing `.0`. A non-finite
    /// value makes `finish` throw (as `WireCodec` does).
    public mutating func double(_ name: StaticString, _ value: Double) {
        if !value.isFinite, nonFinite == nil { nonFinite = WireEncodingError(field: "\(name)", value: value) }
        key(name)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONText.appendString(value.utf8, to: &bytes)
    }

    public mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(value.utf8, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func finish() throws(WireEncodingError) -> [UInt8] {
        if let nonFinite { throw nonFinite }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

/// JSON string escaping of UTF-8 text as Foundation's writer does it: quote, backslash and
/// control characters; everything else (non-ASCII UTF-8 included) is copied as it is.
public enum JSONText {
    public static func appendString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
