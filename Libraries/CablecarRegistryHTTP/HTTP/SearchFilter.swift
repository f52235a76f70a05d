import CablecarRegistry
import CablecarRegistryAPI
import Foundation

/// MLflow's search filter language as the stock client sends it: clauses joined by AND, each
/// `<entity>.<key> <op> <value>` (entity params/tags/attributes/metrics, or a bare attribute;
/// keys may be quoted with backticks or double quotes, e.g. tags."mlflow.runName"). Operators:
/// = != for every entity; LIKE, ILIKE, IN, NOT IN for text; < <= > >= for numbers (metrics,
/// start_time, end_time). Values are quoted strings (operators and AND inside quotes are
/// text), numbers, or a parenthesized list for IN. OR is refused, as MLflow refuses it; anything
/// else that cannot be answered is refused with a reason rather than answered wrongly. A filter
/// holds at most `maxClauses` clauses (MLflow has no limit; each clause is a subquery per run).
struct SearchFilter: Sendable, Equatable {
    enum Entity: String, Sendable { case param, tag, attribute, metric }

    let entity: Entity
    let key: String
    let op: String
    let value: String
    var values: [String] = []

    static let numericAttributes: Set<String> = ["start_time", "end_time", "creation_time", "last_update_time", "version_number"]
    static let textOperators: Set<String> = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]
    static let numberOperators: Set<String> = ["=", "!=", "<", "<=", ">", ">="]
    /// Clauses in one filter (and keys in one order_by): a search at this limit over a few
    /// thousand runs answers in well under a second.
    static let maxClauses = 100

    static func parse(_ text: String) throws -> [SearchFilter] {
        var scanner = FilterScanner(Array(text))
        var clauses: [SearchFilter] = []
        scanner.skipSpaces()
        if scanner.atEnd { return [] }
        while true {
            guard clauses.count < maxClauses else {
                throw APIError.invalid(
                    "filter has more than \(maxClauses) clauses, the registry's limit for one search; drop repeated clauses or split the search"
                )
            }
            clauses.append(try scanner.clause())
            scanner.skipSpaces()
            if scanner.atEnd { return clauses }
            let word = scanner.word().uppercased()
            switch word {
            case "AND": continue
            case "OR":
                throw APIError.invalid(
                    "Invalid clause(s) in filter string: 'OR'. Search filters support only AND between clauses; run one search per alternative"
                )
            default:
                throw APIError.invalid("Invalid clause(s) in filter string: expected AND between clauses, found '\(word.prefix(50))'")
            }
        }
    }

    func matchesRun(_ run: Run) throws -> Bool {
        switch entity {
        case .param: return try compareText(run.params[key])
        case .tag:
            switch key {
            case "mlflow.runName": return try compareText(run.tags[key] ?? run.name)
            case "mlflow.user": return try compareText(run.tags[key] ?? run.userID)
            default: return try compareText(run.tags[key])
            }
        case .attribute:
            switch key {
            case "status": return try compareText(run.status.rawValue)
            case "run_name", "name": return try compareText(run.name)
            case "run_id", "run_uuid": return try compareText(run.id)
            case "user_id": return try compareText(run.userID)
            case "start_time": return try compareNumber(Double(run.startTime))
            case "end_time": return try compareNumber(run.endTime.map(Double.init))
            default:
                throw APIError.invalid(
                    "filter attribute '\(key)' is not supported; use status, run_name, run_id, user_id, start_time or end_time")
            }
        case .metric: return try compareNumber(run.latestMetrics[key]?.value)
        }
    }

    func matchesExperiment(_ experiment: Experiment) throws -> Bool {
        switch (entity, key) {
        case (.attribute, "name"): return try compareText(experiment.name)
        case (.tag, _): return try compareText(experiment.tags[key])
        default: throw APIError.invalid("experiment filter on '\(key)' is not supported; use name or tags.<key>")
        }
    }

    func matchesModel(name: String, tags: [String: String]) throws -> Bool {
        switch (entity, key) {
        case (.attribute, "name"): return try compareText(name)
        case (.tag, _): return try compareRegistryTag(tags[key])
        default: throw APIError.invalid("registered model filter on '\(key)' is not supported; use name or tags.<key>")
        }
    }

    /// A tag of a registered model or version. A model without the tag passes `!=` and `NOT IN`,
    /// as on MLflow's server: its own client excludes prompts from every model search by adding
    /// tags.`mlflow.prompt.is_prompt` != 'true', which models without the tag must pass.
    func compareRegistryTag(_ actual: String?) throws -> Bool {
        if actual == nil, op == "!=" || op == "NOT IN" {
            _ = try compareText("")  // the operator must still be one for text
            return true
        }
        return try compareText(actual)
    }

    func compareText(_ actual: String?) throws -> Bool {
        guard Self.textOperators.contains(op) else {
            throw APIError.invalid("filter on '\(key)': \(op) compares numbers; use =, !=, LIKE, ILIKE or IN for text")
        }
        guard let actual else { return false }
        switch op {
        case "=": return actual == value
        case "!=": return actual != value
        case "LIKE": return Self.like(Array(actual), Array(value))
        case "ILIKE": return Self.like(Array(actual.lowercased()), Array(value.lowercased()))
        case "IN": return values.contains(actual)
        default: return !values.contains(actual)
        }
    }

    func compareNumber(_ actual: Double?) throws -> Bool {
        guard Self.numberOperators.contains(op) else { throw APIError.invalid("filter on '\(key)': \(op) does not compare numbers") }
        guard let expected = Double(value) else { throw APIError.invalid("filter on '\(key)': '\(value.prefix(50))' is not a number") }
        guard let actual else { return false }
        switch op {
        case "=": return actual == expected
        case "!=": return actual != expected
        case "<": return actual < expected
        case "<=": return actual <= expected
        case ">": return actual > expected
        default: return actual >= expected
        }
    }

    /// SQL LIKE: % any run of characters, _ one character.
    static func like(_ text: [Character], _ pattern: [Character]) -> Bool {
        var t = 0
        var p = 0
        var star: Int?
        var mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "_" || (pattern[p] != "%" && pattern[p] == text[t]) {
                t += 1
                p += 1
            } else if p < pattern.count, pattern[p] == "%" {
                star = p
                mark = t
                p += 1
            } else if let s = star {
                p = s + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "%" { p += 1 }
        return p == pattern.count
    }
}
