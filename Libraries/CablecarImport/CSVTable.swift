/// A CSV file as a header and numbered rows (RFC 4180: commas, double-quoted fields with `""`
/// escapes, LF or CRLF line ends). Columns are found by name, so extra columns are ignored.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        /// 1-based line number in the file (the header is line 1).
        public var line: Int
        public var fields: [String]
    }

    public let header: [String]
    public let rows: [Row]

    public init(text: String) throws(ImportError) {
        var rows: [Row] = []
        var header: [String]?
        var field = ""
        var fields: [String] = []
        var quoted = false
        var line = 1
        var rowLine = 1
        var afterQuote = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = chars.next()
        func endRow() {
            fields.append(field)
            field = ""
            if header == nil {
                header = fields.map { $0.trimmingSpaces() }
            } else if !(fields.count == 1 && fields[0].isEmpty) {
                rows.append(Row(line: rowLine, fields: fields))
            }
            fields = []
        }
        while let c = pending {
            pending = chars.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = chars.next()
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
            case "\r" where pending == "\n": continue
            case "\n":
                endRow()
                afterQuote = false
                line += 1
                rowLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw ImportError.malformedFile("a quoted field opened on line \(rowLine) is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        guard let header, !header.allSatisfy(\.isEmpty) else {
            throw ImportError.malformedFile("the file is empty: its first line must be the header row")
        }
        self.header = header
        self.rows = rows
    }

    /// The index of column `name` (case-insensitive), if present.
    public func column(_ name: String) -> Int? {
        header.firstIndex { $0.lowercased() == name.lowercased() }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
