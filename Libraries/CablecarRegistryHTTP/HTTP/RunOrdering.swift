import CablecarRegistry
import CablecarRegistryAPI

/// MLflow's `order_by` for run searches: a list of "<entity>.<key> [ASC|DESC]" (attributes
/// start_time, end_time, run_name, status; metrics.<k>; params.<k>; tags.<k>). Runs lacking
/// the value sort last, as MLflow does. The default is start_time descending.
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
        keys = try clauses.map { clause in
            let words = clause.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first, words.count <= 2 else {
                throw APIError.invalid("order_by '\(clause)' is not '<key> [ASC|DESC]'")
            }
            var ascending = true
            if words.count == 2 {
                switch words[1].uppercased() {
                case "ASC": ascending = true
                case "DESC": ascending = false
                default: throw APIError.invalid("order_by '\(clause)': direction must be ASC or DESC")
                }
            }
            let filter = try SearchFilter.parse("\(first) = 'x'")[0]
            if filter.entity == .attribute, !["start_time", "end_time", "run_name", "name", "status"].contains(filter.key) {
                throw APIError.invalid("order_by attribute '\(filter.key)' is not supported; use start_time, end_time, run_name or status")
            }
            return Key(entity: filter.entity, name: filter.key, ascending: ascending)
        }
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
