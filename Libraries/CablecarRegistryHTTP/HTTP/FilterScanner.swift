import CablecarRegistry
import CablecarRegistryAPI

/// Reads one MLflow search filter clause at a time (see `SearchFilter`).
struct FilterScanner {
    let characters: [Character]
    var index = 0

    init(_ characters: [Character]) { self.characters = characters }

    var atEnd: Bool { index >= characters.count }

    mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" || c == "+" }

    /// A bare word (identifier part, keyword or number).
    mutating func word() -> String {
        let start = index
        while index < characters.count, Self.isWordCharacter(characters[index]) { index += 1 }
        return String(characters[start..<index])
    }

    /// A quoted string starting at the current quote; a doubled quote or a backslash escapes one.
    mutating func quoted() throws -> String {
        let quote = characters[index]
        index += 1
        var text = ""
        while index < characters.count {
            let c = characters[index]
            if c == "\\", index + 1 < characters.count {
                text.append(characters[index + 1])
                index += 2
                continue
            }
            if c == quote {
                if index + 1 < characters.count, characters[index + 1] == quote {
                    text.append(quote)
                    index += 2
                    continue
                }
                index += 1
                return text
            }
            text.append(c)
            index += 1
        }
        throw APIError.invalid("filter has an unterminated quoted string")
    }

    mutating func clause() throws -> SearchFilter {
        let (entity, key) = try identifier()
        let op = try comparison()
        skipSpaces()
        var value = ""
        var values: [String] = []
        if op == "IN" || op == "NOT IN" {
            guard !atEnd, characters[index] == "(" else { throw APIError.invalid("filter on '\(key)': \(op) needs a list like ('a', 'b')") }
            index += 1
            while true {
                skipSpaces()
                guard !atEnd else { throw APIError.invalid("filter on '\(key)': the \(op) list is not closed") }
                if characters[index] == "'" || characters[index] == "\"" {
                    values.append(try quoted())
                } else {
                    let item = word()
                    guard !item.isEmpty else { throw APIError.invalid("filter on '\(key)': the \(op) list holds no value") }
                    values.append(item)
                }
                skipSpaces()
                guard !atEnd else { throw APIError.invalid("filter on '\(key)': the \(op) list is not closed") }
                if characters[index] == "," {
                    index += 1
                    continue
                }
                if characters[index] == ")" {
                    index += 1
                    break
                }
                throw APIError.invalid("filter on '\(key)': expected ',' or ')' in the \(op) list")
            }
        } else if !atEnd, characters[index] == "'" || characters[index] == "\"" {
            value = try quoted()
        } else {
            value = word()
            guard !value.isEmpty else { throw APIError.invalid("filter on '\(key)' has no value after \(op)") }
        }
        let filter = SearchFilter(entity: entity, key: key, op: op, value: value, values: values)
        let numeric = entity == .metric || (entity == .attribute && SearchFilter.numericAttributes.contains(key))
        let allowed = numeric ? SearchFilter.numberOperators : SearchFilter.textOperators
        guard allowed.contains(op) else {
            throw APIError.invalid(
                "filter on '\(key)': \(op) is not supported for \(numeric ? "numbers" : "text"); use \(allowed.sorted().joined(separator: ", "))"
            )
        }
        return filter
    }

    /// `<entity>.<key>`, the key bare or quoted (backticks or double quotes), or a bare or
    /// quoted attribute name.
    mutating func identifier() throws -> (SearchFilter.Entity, String) {
        skipSpaces()
        guard !atEnd else { throw APIError.invalid("filter clause has no identifier") }
        var text = ""
        if characters[index] == "`" || characters[index] == "\"" {
            return (.attribute, try quoted())
        }
        text = word()
        if text.hasSuffix("."), !atEnd, characters[index] == "`" || characters[index] == "\"" {
            return (try Self.entity(String(text.dropLast())), try quoted())
        }
        guard !text.isEmpty else { throw APIError.invalid("filter clause has no identifier before '\(characters[index])'") }
        guard let dot = text.firstIndex(of: ".") else { return (.attribute, text) }
        return (try Self.entity(String(text[..<dot])), String(text[text.index(after: dot)...]))
    }

    static func entity(_ prefix: String) throws -> SearchFilter.Entity {
        switch prefix.lowercased() {
        case "params", "param", "parameter", "parameters": return .param
        case "tags", "tag": return .tag
        case "attributes", "attribute", "attr", "run": return .attribute
        case "metrics", "metric": return .metric
        default: throw APIError.invalid("filter identifier '\(prefix.prefix(50)).': expected params., tags., attributes. or metrics.")
        }
    }

    private mutating func comparison() throws -> String {
        skipSpaces()
        guard !atEnd else { throw APIError.invalid("filter clause has no comparison; expected e.g. tags.stage = 'x'") }
        for op in ["!=", "<>", "<=", ">=", "=", "<", ">"] {
            let symbols = Array(op)
            if index + symbols.count <= characters.count, Array(characters[index..<index + symbols.count]) == symbols {
                index += symbols.count
                return op == "<>" ? "!=" : op
            }
        }
        let keyword = word().uppercased()
        switch keyword {
        case "LIKE", "ILIKE", "IN": return keyword
        case "NOT":
            skipSpaces()
            guard word().uppercased() == "IN" else { throw APIError.invalid("filter: NOT must be followed by IN") }
            return "NOT IN"
        default:
            throw APIError.invalid("filter comparison '\(keyword.prefix(20))' is not supported; use =, !=, <, <=, >, >=, LIKE, ILIKE, IN")
        }
    }
}
