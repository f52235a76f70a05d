import Foundation

/// The subset of MLflow's search filter language Cablecar answers: clauses joined by AND, each
/// `<entity>.<key> <op> <value>` with entity params/tags/attributes/metrics (or a bare
/// attribute), ops = and != for strings, and = != < <= > >= for metrics. Anything else is
/// refused with a reason rather than answered wrongly.
struct SearchFilter: Sendable, Equatable {
    enum Entity: String, Sendable { case param, tag, attribute, metric }

    let entity: Entity
    let key: String
    let op: String
    let value: String

    static func parse(_ text: String) throws -> [SearchFilter] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        let pieces = trimmed.components(separatedBy: " AND ").flatMap { $0.components(separatedBy: " and ") }
        return try pieces.map(parseClause)
    }

    private static func parseClause(_ clause: String) throws -> SearchFilter {
        let clause = clause.trimmingCharacters(in: .whitespaces)
        for op in ["!=", ">=", "<=", "=", ">", "<"] {
            guard let range = clause.range(of: op) else { continue }
            let left = clause[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            var right = clause[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if right.count >= 2, let first = right.first, first == "'" || first == "\"", right.last == first {
                right = String(right.dropFirst().dropLast())
            }
            let (entity, key) = try splitIdentifier(left)
            if entity != .metric && op != "=" && op != "!=" {
                throw APIError.invalid("filter '\(clause)': only = and != compare \(entity.rawValue) values")
            }
            return SearchFilter(entity: entity, key: key, op: op, value: right)
        }
        throw APIError.invalid("filter clause '\(clause)' has no comparison; expected e.g. tags.stage = 'x'")
    }

    private static func splitIdentifier(_ text: String) throws -> (Entity, String) {
        let unquoted = { (s: Substring) in String(s).trimmingCharacters(in: CharacterSet(charactersIn: "`\"")) }
        guard let dot = text.firstIndex(of: ".") else { return (.attribute, unquoted(text[...])) }
        let kind = text[..<dot].lowercased()
        let key = unquoted(text[text.index(after: dot)...])
        switch kind {
        case "params", "param", "parameter", "parameters": return (.param, key)
        case "tags", "tag": return (.tag, key)
        case "attributes", "attribute", "attr", "run": return (.attribute, key)
        case "metrics", "metric": return (.metric, key)
        default: throw APIError.invalid("filter identifier '\(text)': expected params., tags., attributes. or metrics.")
        }
    }

    func matchesRun(_ run: Run) throws -> Bool {
        switch entity {
        case .param: return compare(run.params[key])
        case .tag: return compare(run.tags[key])
        case .attribute:
            switch key {
            case "status": return compare(run.status.rawValue)
            case "run_name", "name": return compare(run.name)
            case "run_id", "run_uuid": return compare(run.id)
            default: throw APIError.invalid("filter attribute '\(key)' is not supported; use status, run_name or run_id")
            }
        case .metric:
            guard let actual = run.latestMetrics[key]?.value else { return false }
            guard let expected = Double(value) else { throw APIError.invalid("metric filter value '\(value)' is not a number") }
            switch op {
            case "=": return actual == expected
            case "!=": return actual != expected
            case "<": return actual < expected
            case "<=": return actual <= expected
            case ">": return actual > expected
            default: return actual >= expected
            }
        }
    }

    func matchesExperiment(_ experiment: Experiment) throws -> Bool {
        switch (entity, key) {
        case (.attribute, "name"): return compare(experiment.name)
        case (.tag, _): return compare(experiment.tags[key])
        default: throw APIError.invalid("experiment filter on '\(key)' is not supported; use name or tags.<key>")
        }
    }

    private func compare(_ actual: String?) -> Bool {
        op == "=" ? actual == value : actual != value
    }
}
