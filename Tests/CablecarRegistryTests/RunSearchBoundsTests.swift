import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// What one run search may cost: at most `SearchFilter.maxClauses` clauses (and order_by keys),
/// SQL whose planning grows linearly with them, and a statement timeout Postgres enforces.
@Suite("Run search bounds")
struct RunSearchBoundsTests {
    static let m = "/api/2.0/mlflow"

    static func search(_ client: some TestClientProtocol, _ object: [String: Any]) async throws -> (Int, String) {
        try await client.execute(
            uri: "\(m)/runs/search", method: .post, headers: [.contentType: "application/json"],
            body: try RegistryHardeningTests.body(object)
        ) { response in (Int(response.status.code), String(buffer: response.body)) }
    }

    /// Runs of one experiment, each with metric k = 1, param p and tag t.
    static func seed(_ h: RegistryHarness, runs: Int) async throws -> Int64 {
        let experiment = try await h.store.ensureExperiment(name: "bounds-\(UUID())")
        for i in 0..<runs {
            let run = try await h.store.createRun(experimentID: experiment.id, name: "r\(i)")
            try await h.store.logBatch(
                runID: run.id, metrics: [MetricPoint(key: "k", value: 1, timestamp: 1, step: 0)], parameters: ["p": "x"], tags: ["t": "y"])
        }
        return experiment.id
    }

    static func filter(_ count: Int) -> String {
        (0..<count).map { ["metrics.k = 1", "params.p = 'x'", "tags.t != 'z'", "tags.\"mlflow.runName\" LIKE 'r%'"][$0 % 4] }
            .joined(separator: " AND ")
    }

    @Test func aFilterAtTheCapAnswersQuicklyAndOneOverIt400() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await Self.seed(h, runs: 200)
            try await RegistryHardeningTests.app(h).test(.router) { client in
                // The yardstick: the same search with four clauses, timed now on this machine, so
                // a machine starved by other tests stretches both.
                let yardstickStarted = ContinuousClock.now
                let (small, _) = try await Self.search(
                    client, ["experiment_ids": [String(experiment)], "filter": Self.filter(4), "max_results": 1000])
                let yardstick = ContinuousClock.now - yardstickStarted
                #expect(small == 200)
                let started = ContinuousClock.now
                let (status, text) = try await Self.search(
                    client, ["experiment_ids": [String(experiment)], "filter": Self.filter(SearchFilter.maxClauses), "max_results": 1000])
                let elapsed = ContinuousClock.now - started
                #expect(status == 200, "\(text.prefix(300))")
                let runs = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["runs"] as? [Any]
                #expect(runs?.count == 200)
                // A gross-regression guard only (before the fix, 100 metric clauses took 2 s to plan
                // alone, 200 took 22 s); `everyConditionIsASubqueryNeverAJoin` checks the cause.
                #expect(elapsed < .seconds(5) + yardstick * 20, "a search at the cap took \(elapsed), one with 4 clauses \(yardstick)")

                let (over, message) = try await Self.search(
                    client, ["experiment_ids": [String(experiment)], "filter": Self.filter(SearchFilter.maxClauses + 1)])
                #expect(over == 400)
                #expect(message.contains("INVALID_PARAMETER_VALUE") && message.contains("more than \(SearchFilter.maxClauses) clauses"))

                let keys = Array(repeating: "metrics.k DESC", count: SearchFilter.maxClauses + 1)
                let (overKeys, keysMessage) = try await Self.search(client, ["experiment_ids": [String(experiment)], "order_by": keys])
                #expect(overKeys == 400 && keysMessage.contains("limit for one search is \(SearchFilter.maxClauses)"))
            }
        }
    }

    /// EXISTS conditions became semi- and anti-joins whose join search grew steeply with the
    /// clauses; each condition is now a subquery run by run, so planning grows linearly.
    @Test func everyConditionIsASubqueryNeverAJoin() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await Self.seed(h, runs: 20)
            let clauses = try SearchFilter.parse(Self.filter(SearchFilter.maxClauses))
            let query = try #require(
                try RunQuery.search(
                    experimentIDs: [experiment], lifecycle: [.active], clauses: clauses, ordering: RunOrdering(["metrics.k DESC"]),
                    page: SearchPage(JSONBody([:]), bounds: SearchPage.runs)))
            #expect(query.conditions.count == SearchFilter.maxClauses)
            let statement = query.statement()
            var plan: [String] = []
            for try await line in try await h.database.query(
                PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, binds: statement.binds), logger: TestStack.logger
            ).decode(String.self) {
                plan.append(line.trimmingCharacters(in: .whitespaces))
            }
            #expect(!plan.contains { $0.contains("Join") }, "\(plan.prefix(40).joined(separator: "\n"))")
            #expect(plan.filter { $0.hasPrefix("SubPlan ") }.count > SearchFilter.maxClauses)
        }
    }

    @Test func aSearchOverItsTimeLimitIsStoppedWithAClearError() async throws {
        try await RegistryHarness.with(limits: RegistryStore.Limits(searchStatementTimeout: .milliseconds(1))) { h in
            let experiment = try await Self.seed(h, runs: 200)
            try await RegistryHardeningTests.app(h).test(.router) { client in
                let (status, text) = try await Self.search(
                    client, ["experiment_ids": [String(experiment)], "filter": Self.filter(SearchFilter.maxClauses)])
                #expect(status == 400, "\(text.prefix(300))")
                #expect(text.contains("the search was stopped after 1 ms"), "\(text.prefix(300))")
            }
            // The pool is still usable, and Postgres runs nothing left over from the searches.
            let lingering = try await h.count(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%FROM registry_run_metrics m WHERE m.run_id = r.id%' AND pid <> pg_backend_pid()"
            )
            #expect(lingering == 0)
        }
    }

    @Test func orderByAcceptsQuotedKeysAsFiltersDo() async throws {
        let keys = try RunOrdering([
            "metrics.`a/b.c-d e` DESC", "params.\"x y\" ASC", "tags.`t`", "`start_time` desc", "metrics.`with ``tick`` inside`",
        ]).keys
        #expect(keys.map(\.name) == ["a/b.c-d e", "x y", "t", "start_time", "with `tick` inside"])
        #expect(keys.map(\.entity) == [.metric, .param, .tag, .attribute, .metric])
        #expect(keys.map(\.ascending) == [false, true, true, false, true])
        for bad in ["metrics.a b DESC", "metrics.`unclosed DESC", "metrics.`k` DOWN", "metrics.`k` DESC extra", "", "attributes.`nope`"] {
            #expect(throws: APIError.self, "\(bad)") { _ = try RunOrdering([bad]) }
        }
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "order-\(UUID())")
            var expected: [String] = []
            for value in [2.0, 3.0, 1.0] {
                let run = try await h.store.createRun(experimentID: experiment.id, name: "v\(value)")
                try await h.store.logBatch(
                    runID: run.id, metrics: [MetricPoint(key: "a/b.c-d e", value: value, timestamp: 1, step: 0)], parameters: [:])
                expected.append(run.id)
            }
            let descending = [expected[1], expected[0], expected[2]]
            try await RegistryHardeningTests.app(h).test(.router) { client in
                for filter in ["", "metrics.`a/b.c-d e` > 0"] {
                    let (status, text) = try await Self.search(
                        client, ["experiment_ids": [String(experiment.id)], "filter": filter, "order_by": ["metrics.`a/b.c-d e` DESC"]])
                    #expect(status == 200, "\(text.prefix(300))")
                    let runs = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["runs"] as? [[String: Any]]
                    let ids = runs?.compactMap { ($0["info"] as? [String: Any])?["run_id"] as? String }
                    #expect(ids == descending)
                }
            }
        }
    }
}
