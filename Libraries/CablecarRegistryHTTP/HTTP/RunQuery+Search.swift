import CablecarRegistry
import CablecarRegistryAPI

/// MLflow run searches as queries Postgres answers whole (`RunQuery`). What it cannot say with
/// the in-memory filter's exact meaning (ordering by params, non-finite numbers, ILIKE with a
/// non-ASCII pattern) is answered in memory instead, so both paths always agree.
extension RunQuery {
    /// Nil: some part needs the in-memory path. Throws what the in-memory filter would throw.
    static func search(
        experimentIDs: [Int64], lifecycle: [RegistryStore.Lifecycle], clauses: [SearchFilter], ordering: RunOrdering, page: SearchPage
    ) throws -> RunQuery? {
        var conditions: [Condition] = []
        for clause in clauses {
            guard let condition = try condition(clause) else { return nil }
            conditions.append(condition)
        }
        var sortKeys: [SortKey] = []
        for key in ordering.keys {
            let subject: Subject
            switch key.entity {
            case .param: return nil
            case .tag: subject = .tag(key.name)
            case .metric: subject = .metric(key.name)
            case .attribute:
                switch key.name {
                case "start_time": subject = .startTime
                case "end_time": subject = .endTime
                case "status": subject = .status
                default: subject = .name
                }
            }
            sortKeys.append(SortKey(subject, ascending: key.ascending))
        }
        return RunQuery(
            experimentIDs: experimentIDs, lifecycle: lifecycle, conditions: conditions, sortKeys: sortKeys, offset: page.offset,
            limit: page.limit)
    }

    static func condition(_ clause: SearchFilter) throws -> Condition? {
        let subject: Subject
        var numeric = false
        switch clause.entity {
        case .param: subject = .param(clause.key)
        case .tag: subject = .tag(clause.key)
        case .metric:
            subject = .metric(clause.key)
            numeric = true
        case .attribute:
            switch clause.key {
            case "status": subject = .status
            case "run_name", "name": subject = .name
            case "run_id", "run_uuid": subject = .runID
            case "user_id": subject = .userID
            case "start_time":
                subject = .startTime
                numeric = true
            case "end_time":
                subject = .endTime
                numeric = true
            default: return nil  // the in-memory path refuses it with its reason
            }
        }
        if numeric {
            _ = try clause.compareNumber(nil)  // refuses what the in-memory filter refuses
            guard let number = Double(clause.value), number.isFinite else { return nil }
            let op: NumberOperator
            switch clause.op {
            case "=": op = .equal
            case "!=": op = .notEqual
            case "<": op = .less
            case "<=": op = .lessOrEqual
            case ">": op = .greater
            default: op = .greaterOrEqual
            }
            return Condition(subject, .number(op, number))
        }
        _ = try clause.compareText(nil)
        switch clause.op {
        case "=": return Condition(subject, .equal(clause.value))
        case "!=": return Condition(subject, .notEqual(clause.value))
        case "LIKE": return Condition(subject, .like(clause.value))
        case "ILIKE":
            // Postgres lowercases ASCII only under the code-point collation; Swift all of Unicode.
            guard clause.value.unicodeScalars.allSatisfy(\.isASCII) else { return nil }
            return Condition(subject, .caseInsensitiveLike(clause.value))
        case "IN": return Condition(subject, .among(clause.values))
        default: return Condition(subject, .notAmong(clause.values))
        }
    }
}
