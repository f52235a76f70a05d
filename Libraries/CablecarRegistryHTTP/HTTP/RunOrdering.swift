import CablecarRegistry
import CablecarRegistryAPI

/// MLflow's `order_by` for run searches: a list of "<entity>.<key> [ASC|DESC]" (attributes
/// start_time, end_time, run_name, status; metrics.<k>; params.<k>; tags.<k>), keys bare or
/// quoted as in filters (metrics.`a/b c` DESC), at most `SearchFilter.maxClauses` of them.
/// Runs lacking the value sort last, as MLflow does. The default is start_time descending.
struct RunOrdering: Sendable {
    enum Value: Comparable {
        case number(Double)
        case text(String)

        static func < (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.number(let a), .number(let b)): return a < b
            case (.text(let a), .text(let b)): return a < b
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
    }

    struct Key: Sendable {
        let entity: SearchFilter.Entity
        let name: String
        let ascending: Bool
    }

    let keys: [Key]

    init(_ clauses: [String]) throws {
        guard clauses.count <= SearchFilter.maxClauses else {
            throw APIError.invalid(
                "order_by has \(clauses.count) keys; the registry's limit for one search is \(SearchFilter.maxClauses)")
        }
        keys = try clauses.map(Self.key)
    }

    /// One order_by item, read with the filter's identifier rules.
    static func key(_ clause: String) throws -> Key {
        var scanner = FilterScanner(Array(clause))
        let entity: SearchFilter.Entity
        let name: String
        do {
            (entity, name) = try scanner.identifier()
        } catch let error as APIError {
            throw APIError.invalid("order_by '\(clause.prefix(100))' is not '<key> [ASC|DESC]': \(error.message)")
        }
        scanner.skipSpaces()
        var ascending = true
        if !scanner.atEnd {
            switch scanner.word().uppercased() {
            case "ASC": ascending = true
            case "DESC": ascending = false
            case "":
                throw APIError.invalid(
                    "order_by '\(clause.prefix(100))' is not '<key> [ASC|DESC]'; quote a key holding spaces or symbols: metrics.`a b`")
            default: throw APIError.invalid("order_by '\(clause.prefix(100))': direction must be ASC or DESC")
            }
            scanner.skipSpaces()
            guard scanner.atEnd else { throw APIError.invalid("order_by '\(clause.prefix(100))' is not '<key> [ASC|DESC]'") }
        }
        if entity == .attribute, !["start_time", "end_time", "run_name", "name", "status"].contains(name) {
            throw APIError.invalid("order_by attribute '\(name)' is not supported; use start_time, end_time, run_name or status")
        }
        return Key(entity: entity, name: name, ascending: ascending)
    }

    func value(_ run: Run, _ key: Key) -> Value? {
        switch key.entity {
        case .metric: return run.latestMetrics[key.name].map { .number($0.value) }
        case .param: return run.params[key.name].map { Double($0).map(Value.number) ?? .text($0) }
        case .tag: return run.tags[key.name].map(Value.text)
        case .attribute:
            switch key.name {
            case "start_time": return .number(Double(run.startTime))
            case "end_time": return run.endTime.map { .number(Double($0)) }
            case "status": return .text(run.status.rawValue)
            default: return .text(run.name)
            }
        }
    }

    /// Sorted by the keys in turn; ties keep the incoming (newest first) order.
    func sorted(_ runs: [Run]) -> [Run] {
        guard !keys.isEmpty else { return runs }
        return runs.enumerated().sorted { left, right in
            for key in keys {
                switch (value(left.element, key), value(right.element, key)) {
                case (nil, nil): continue
                case (nil, _): return false
                case (_, nil): return true
                case (let a?, let b?):
                    if a == b { continue }
                    return key.ascending ? a < b : b < a
                }
            }
            return left.offset < right.offset
        }.map(\.element)
    }
}
