import PostgresNIO

/// A run search that Postgres answers whole: conditions, ordering and one page, so a search
/// over many runs reads only the page's runs instead of every run with its params, tags and
/// metrics. Semantics are those of the in-memory filter of the MLflow routes (a run without the
/// tag, param or metric fails every comparison on it; text compares by code point), which the
/// routes fall back to for what this type cannot express.
public struct RunQuery: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        case status, name, runID, userID, startTime, endTime
        case tag(String)
        case param(String)
        case metric(String)
    }

    public enum NumberOperator: String, Sendable, Equatable {
        case equal = "="
        case notEqual = "<>"
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }

    public enum Comparison: Sendable, Equatable {
        case equal(String)
        case notEqual(String)
        case like(String)
        case caseInsensitiveLike(String)
        case among([String])
        case notAmong([String])
        /// A finite number (start_time, end_time, metrics).
        case number(NumberOperator, Double)
    }

    public struct Condition: Sendable, Equatable {
        public var subject: Subject
        public var comparison: Comparison
        public init(_ subject: Subject, _ comparison: Comparison) {
            self.subject = subject
            self.comparison = comparison
        }
    }

    /// Runs without the value sort last. Params are not sortable here (they order numbers
    /// before text, which SQL does not say the same way).
    public struct SortKey: Sendable, Equatable {
        public var subject: Subject
        public var ascending: Bool
        public init(_ subject: Subject, ascending: Bool) {
            self.subject = subject
            self.ascending = ascending
        }
    }

    public var experimentIDs: [Int64]
    public var lifecycle: [RegistryStore.Lifecycle]
    public var conditions: [Condition]
    public var sortKeys: [SortKey]
    public var offset: Int
    public var limit: Int

    public init(
        experimentIDs: [Int64], lifecycle: [RegistryStore.Lifecycle], conditions: [Condition] = [], sortKeys: [SortKey] = [],
        offset: Int = 0, limit: Int
    ) {
        self.experimentIDs = experimentIDs
        self.lifecycle = lifecycle
        self.conditions = conditions
        self.sortKeys = sortKeys
        self.offset = offset
        self.limit = limit
    }

    /// The statement selecting one page of run IDs, plus one more to tell whether a page follows.
    func statement() -> PostgresQuery {
        var builder = Builder()
        // Plain equalities where they suffice: with them the planner reads a page in the order
        // of an index on (experiment, [stage,] start time, id) and stops when the page is full.
        var sql = "SELECT r.id FROM registry_runs r WHERE "
        if experimentIDs.count == 1, let experiment = experimentIDs.first {
            sql += "r.experiment_id = \(builder.bind(experiment))"
        } else {
            sql += "r.experiment_id = ANY(\(builder.bind(experimentIDs)))"
        }
        let stages = Set(lifecycle)
        if stages.count == 1, let stage = stages.first {
            sql += " AND r.lifecycle_stage = \(builder.bind(stage.rawValue))"
        } else if stages.count < RegistryStore.Lifecycle.allCases.count {
            sql += " AND r.lifecycle_stage = ANY(\(builder.bind(stages.map(\.rawValue))))"
        }
        for condition in conditions { sql += " AND " + builder.predicate(condition) }
        var order: [String] = []
        for key in sortKeys {
            let value = builder.sortValue(key.subject)
            // Missing values last in either direction, as the in-memory ordering does.
            order.append("(\(value)) IS NULL, \(value) \(key.ascending ? "ASC" : "DESC")")
        }
        order.append("r.start_time_ms DESC, r.id")
        sql += " ORDER BY " + order.joined(separator: ", ")
        sql += " OFFSET \(builder.bind(Int64(offset))) LIMIT \(builder.bind(Int64(limit) + 1))"
        return PostgresQuery(unsafeSQL: sql, binds: builder.bindings)
    }

    /// SQL text with numbered parameters; every value from the request is bound, never spliced.
    private struct Builder {
        var bindings = PostgresBindings()
        private var count = 0

        mutating func bind<Value: PostgresNonThrowingEncodable & Sendable>(_ value: Value) -> String {
            bindings.append(value)
            count += 1
            return "$\(count)"
        }

        /// The run's column for an attribute; text columns compare by code point (COLLATE "C").
        private func column(_ subject: Subject) -> String? {
            switch subject {
            case .status: return "r.status COLLATE \"C\""
            case .name: return "r.name COLLATE \"C\""
            case .runID: return "r.id COLLATE \"C\""
            case .userID: return "r.user_id COLLATE \"C\""
            case .startTime: return "r.start_time_ms::float8"
            case .endTime: return "r.end_time_ms::float8"
            case .tag, .param, .metric: return nil
            }
        }

        /// One scalar subquery per tag, param or metric condition, run by run (a SubPlan), never
        /// an EXISTS: Postgres turns EXISTS into semi-joins (and a metric's NOT EXISTS into an
        /// anti-join), whose join search grew steeply with the clauses (100 metric clauses took
        /// 2 s to plan, 200 took 22 s). A subquery yields NULL for a run without the key, which
        /// fails the condition as the in-memory filter does.
        mutating func predicate(_ condition: Condition) -> String {
            switch condition.subject {
            case .tag(let key):
                let keyParameter = bind(key)
                // MLflow's system tags fall back to the run's own fields when not set.
                let fallback: String? = key == "mlflow.runName" ? "r.name" : key == "mlflow.user" ? "r.user_id" : nil
                guard let fallback else {
                    return "(SELECT " + compare("t.value COLLATE \"C\"", condition.comparison)
                        + " FROM registry_run_tags t WHERE t.run_id = r.id AND t.key = \(keyParameter))"
                }
                let tag = "(SELECT t.value FROM registry_run_tags t WHERE t.run_id = r.id AND t.key = \(keyParameter))"
                return compare("COALESCE(\(tag), \(fallback)) COLLATE \"C\"", condition.comparison)
            case .param(let key):
                let keyParameter = bind(key)
                return "(SELECT " + compare("p.value COLLATE \"C\"", condition.comparison)
                    + " FROM registry_run_params p WHERE p.run_id = r.id AND p.key = \(keyParameter))"
            case .metric(let key):
                // The latest point: highest step, then timestamp, then insertion.
                let keyParameter = bind(key)
                return "(SELECT " + compare("m.value", condition.comparison)
                    + " FROM registry_run_metrics m WHERE m.run_id = r.id AND m.key = \(keyParameter)"
                    + " ORDER BY m.step DESC, m.timestamp_ms DESC, m.id DESC LIMIT 1)"
            default:
                return compare(column(condition.subject) ?? "NULL", condition.comparison)
            }
        }

        /// `value` compared as the in-memory filter does; NULL (absent) fails every comparison.
        private mutating func compare(_ value: String, _ comparison: Comparison) -> String {
            switch comparison {
            case .equal(let text): return "\(value) = \(bind(text))"
            case .notEqual(let text): return "\(value) <> \(bind(text))"
            case .like(let pattern): return "\(value) LIKE \(bind(pattern)) ESCAPE ''"
            case .caseInsensitiveLike(let pattern): return "lower(\(value)) LIKE lower(\(bind(pattern))) ESCAPE ''"
            case .among(let texts): return "\(value) = ANY(\(bind(texts)))"
            case .notAmong(let texts): return "(\(value) IS NOT NULL AND \(value) <> ALL(\(bind(texts))))"
            case .number(let op, let number):
                // Postgres orders NaN above every number; IEEE (the in-memory filter) compares it
                // with nothing but "<>".
                let nanGuard = op == .notEqual ? "" : " AND \(value) <> 'NaN'::float8"
                return "(\(value) \(op.rawValue) \(bind(number))\(nanGuard))"
            }
        }

        mutating func sortValue(_ subject: Subject) -> String {
            switch subject {
            case .tag(let key):
                return "(SELECT t.value COLLATE \"C\" FROM registry_run_tags t WHERE t.run_id = r.id AND t.key = \(bind(key)))"
            case .metric(let key):
                return "(SELECT m.value FROM registry_run_metrics m WHERE m.run_id = r.id AND m.key = \(bind(key))"
                    + " ORDER BY m.step DESC, m.timestamp_ms DESC, m.id DESC LIMIT 1)"
            case .param:
                return "NULL"
            default:
                return column(subject) ?? "NULL"
            }
        }
    }
}
