import Foundation

/// Byte range of one field inside the scanned buffer.
public struct FieldSpan: Sendable {
    public var start: Int
    public var end: Int
    /// The field was quoted and contains doubled quotes that must be unescaped.
    public var hasEscapedQuotes: Bool
}

/// An RFC 4180 CSV tokenizer over raw bytes. It never builds strings: callers get byte ranges
/// and decide per column whether to parse a number or intern a label, which keeps parsing
/// millions of rows free of per-value allocations. Line numbers are physical (1-based), so that
/// errors point at the line an editor shows, even when quoted fields contain newlines.
public struct CSVScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public let fileName: String
    public private(set) var position: Int
    /// Physical line on which the next record starts.
    public private(set) var line = 1

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    public init(bytes: UnsafeBufferPointer<UInt8>, fileName: String) {
        self.bytes = bytes
        self.fileName = fileName
        // Skip a UTF-8 byte order mark.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            position = 3
        } else {
            position = 0
        }
    }

    public var isAtEnd: Bool { position >= bytes.count }

    /// Reads the next record's fields into `fields` (cleared first) and returns the line it started
    /// on, or nil at end of input. Blank lines are skipped.
    public mutating func nextRecord(into fields: inout [FieldSpan]) throws(DriftError) -> Int? {
        fields.removeAll(keepingCapacity: true)
        let count = bytes.count
        // Skip blank lines.
        while position < count && (bytes[position] == Self.newline || bytes[position] == Self.carriageReturn) {
            if bytes[position] == Self.newline { line += 1 }
            position += 1
        }
        if position >= count { return nil }
        let recordLine = line
        while true {
            if position < count && bytes[position] == Self.quote {
                let fieldLine = line
                position += 1
                let start = position
                var escaped = false
                while true {
                    guard position < count else {
                        throw DriftError(
                            .malformedCSV,
                            "\(fileName):\(fieldLine): unterminated quoted field (a \" opens it but none closes it); close the quote or escape embedded quotes as \"\""
                        )
                    }
                    let b = bytes[position]
                    if b == Self.quote {
                        if position + 1 < count && bytes[position + 1] == Self.quote {
                            escaped = true
                            position += 2
                            continue
                        }
                        break
                    }
                    if b == Self.newline { line += 1 }
                    position += 1
                }
                fields.append(FieldSpan(start: start, end: position, hasEscapedQuotes: escaped))
                position += 1
                if position < count {
                    let b = bytes[position]
                    if b != Self.comma && b != Self.newline && b != Self.carriageReturn {
                        throw DriftError(
                            .malformedCSV,
                            "\(fileName):\(line): unexpected character after a closing quote in field \(fields.count); quote the whole field and escape embedded quotes as \"\""
                        )
                    }
                }
            } else {
                let start = position
                while position < count {
                    let b = bytes[position]
                    if b == Self.comma || b == Self.newline || b == Self.carriageReturn { break }
                    if b == Self.quote {
                        throw DriftError(
                            .malformedCSV,
                            "\(fileName):\(line): stray quote inside unquoted field \(fields.count + 1); quote the whole field and escape embedded quotes as \"\""
                        )
                    }
                    position += 1
                }
                fields.append(FieldSpan(start: start, end: position, hasEscapedQuotes: false))
            }
            if position >= count { return recordLine }
            let b = bytes[position]
            if b == Self.comma {
                position += 1
                if position >= count {
                    fields.append(FieldSpan(start: position, end: position, hasEscapedQuotes: false))
                    return recordLine
                }
                continue
            }
            // End of record: \n, \r\n or a lone \r.
            if b == Self.carriageReturn {
                position += 1
                if position < count && bytes[position] == Self.newline { position += 1 }
            } else {
                position += 1
            }
            line += 1
            return recordLine
        }
    }

    /// The field's text, unescaped. Allocates; for headers, labels and messages only.
    public func string(_ field: FieldSpan) -> String {
        let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
        return field.hasEscapedQuotes ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
    }
}
