/// Byte-level edits of a flat JSON object we encoded ourselves: replace or remove one
/// field's value. Faults need bytes that no `Encodable` would write (a bare `NaN`, a string
/// where a number belongs), so they are made by editing valid output.
enum JSONTamper {
    /// Range of the value of `"key":` at the top level, or nil when the key is absent.
    static func valueRange(of key: String, in bytes: [UInt8]) -> Range<Int>? {
        let needle = Array("\"\(key)\":".utf8)
        guard needle.count < bytes.count else { return nil }
        var start = -1
        var i = 1
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
                && (bytes[i - 1] == UInt8(ascii: "{") || bytes[i - 1] == UInt8(ascii: ","))
            {
                start = i + needle.count
                break
            }
            i += 1
        }
        guard start >= 0, start < bytes.count else { return nil }
        var end = start
        switch bytes[start] {
        case UInt8(ascii: "["):
            var depth = 0
            var inString = false
            while end < bytes.count {
                let byte = bytes[end]
                if inString {
                    if byte == UInt8(ascii: "\\") { end += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return start..<(end + 1) }
                }
                end += 1
            }
            return nil
        case UInt8(ascii: "\""):
            end += 1
            while end < bytes.count {
                if bytes[end] == UInt8(ascii: "\\") {
                    end += 2
                    continue
                }
                if bytes[end] == UInt8(ascii: "\"") { return start..<(end + 1) }
                end += 1
            }
            return nil
        default:
            while end < bytes.count && bytes[end] != UInt8(ascii: ",") && bytes[end] != UInt8(ascii: "}") { end += 1 }
            return start..<end
        }
    }

    static func replacing(_ key: String, with literal: String, in bytes: [UInt8]) -> [UInt8]? {
        guard let range = valueRange(of: key, in: bytes) else { return nil }
        var out = bytes
        out.replaceSubrange(range, with: Array(literal.utf8))
        return out
    }

    static func removing(_ key: String, in bytes: [UInt8]) -> [UInt8]? {
        guard let value = valueRange(of: key, in: bytes) else { return nil }
        let keyStart = value.lowerBound - key.utf8.count - 3
        var out = bytes
        if value.upperBound < bytes.count && bytes[value.upperBound] == UInt8(ascii: ",") {
            out.removeSubrange(keyStart..<(value.upperBound + 1))
        } else if keyStart > 0 && bytes[keyStart - 1] == UInt8(ascii: ",") {
            out.removeSubrange((keyStart - 1)..<value.upperBound)
        } else {
            out.removeSubrange(keyStart..<value.upperBound)
        }
        return out
    }
}
