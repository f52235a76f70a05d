import CablecarDomain
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// Run searches Postgres answers whole (`RunQuery`) return exactly what the in-memory filter and
/// ordering return, page by page, over runs built to hit the edges: missing tags, params and
/// metrics, a metric whose latest point is not its first, ties in start time, MLflow's system
/// tags falling back to the run's fields, non-ASCII text, deleted and finished runs.
@Suite("Run search in SQL agrees with the in-memory search")
struct RunQueryEquivalenceTests {
    static let filters = [
        "", "tags.team = 'a'", "tags.team != 'a'", "tags.team IN ('a', 'B')", "tags.team NOT IN ('a')", "tags.team LIKE 'b%'",
        "tags.team ILIKE 'b'", "tags.team ILIKE 'É'", "params.model LIKE 'rid_nt'", "params.model NOT IN ('ridge')",
        "params.model = 'ridge' AND metrics.mae < 5", "metrics.mae < 5", "metrics.mae >= 5", "metrics.mae != 3", "metrics.mae = 7",
        "metrics.rmse > 1", "attributes.start_time > 1704067260000", "attributes.end_time <= 1704067300000",
        "attributes.status = 'FINISHED'", "attributes.run_name LIKE 'Alpha%'", "attributes.run_name ILIKE 'alpha%'",
        "tags.\"mlflow.runName\" = 'renamed-3'", "tags.\"mlflow.runName\" LIKE 'run-1%'", "attributes.user_id = 'ann'",
        "tags.team = 'a' AND tags.note != 'x' AND params.lr IN ('0.1', '0.01')",
    ]
    static let orderings: [[String]] = [
        [], ["metrics.mae ASC"], ["metrics.mae DESC", "attributes.start_time ASC"], ["tags.team DESC"], ["attributes.run_name ASC"],
        ["attributes.end_time ASC"], ["attributes.status DESC", "tags.team ASC"], ["params.lr ASC"],
    ]

    @Test func everyFilterOrderingAndViewGivesTheSamePages() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "run query equivalence")
            let start: EpochMillis = 1_704_067_200_000
            for i in 0..<240 {
                var tags: [String: String] = [:]
                if i % 6 != 5 { tags["team"] = ["a", "b", "B", "É", "alpha"][i % 5] }
                if i % 4 == 0 { tags["note"] = i % 8 == 0 ? "x" : "y" }
                if i % 9 == 3 { tags["mlflow.runName"] = "renamed-\(i % 5)" }
                let name = i % 10 == 7 ? "Alpha-\(i)" : i % 10 == 8 ? "Ωmega-\(i)" : "run-\(i)"
                let run = try await h.store.createRun(
                    experimentID: experiment.id, name: name, tags: tags, startTime: start + EpochMillis(i / 2) * 1000,
                    userID: i % 3 == 0 ? "ann" : "bob")
                var metrics: [MetricPoint] = []
                if i % 7 != 6 {
                    // The latest point (highest step) differs from the first.
                    metrics.append(MetricPoint(key: "mae", value: Double((i * 37) % 13), timestamp: start, step: 0))
                    metrics.append(MetricPoint(key: "mae", value: Double((i * 11) % 10), timestamp: start, step: 1))
                }
                if i % 2 == 0 { metrics.append(MetricPoint(key: "rmse", value: Double(i % 3), timestamp: start + EpochMillis(i), step: 0)) }
                var parameters: [String: String] = [:]
                if i % 5 != 4 { parameters["model"] = ["ridge", "rident", "average"][i % 3] }
                if i % 3 != 2 { parameters["lr"] = ["0.1", "0.01", "1e-3", "fast"][i % 4] }
                try await h.store.logBatch(runID: run.id, metrics: metrics, parameters: parameters)
                if i % 4 == 1 { _ = try await h.store.finishRun(runID: run.id, status: .finished, endTime: start + EpochMillis(i) * 1000) }
                if i % 11 == 2 { try await h.store.deleteRun(runID: run.id, actor: "test") }
            }

            var answeredInSQL = 0
            var compared = 0
            for filter in Self.filters {
                for order in Self.orderings {
                    for stages in [[RegistryStore.Lifecycle.active], [.active, .deleted]] {
                        let clauses = try SearchFilter.parse(filter)
                        let ordering = try RunOrdering(order)
                        var reference = try await h.store.runs(experimentIDs: [experiment.id], lifecycle: stages)
                        reference = try reference.filter { run in try clauses.allSatisfy { try $0.matchesRun(run) } }
                        let expected = ordering.sorted(reference).map(\.id)

                        var pageBody = JSONBody(["max_results": NSNumber(value: 7)])
                        var actual: [String] = []
                        var usedSQL = false
                        while true {
                            let page = try SearchPage(pageBody, bounds: SearchPage.runs)
                            guard
                                let query = try RunQuery.search(
                                    experimentIDs: [experiment.id], lifecycle: stages, clauses: clauses, ordering: ordering, page: page)
                            else { break }
                            usedSQL = true
                            let answer = try await h.store.runs(matching: query)
                            actual += answer.runs.map(\.id)
                            guard answer.more else { break }
                            pageBody = JSONBody([
                                "max_results": NSNumber(value: 7), "page_token": PageToken.token(page.offset + page.limit),
                            ])
                        }
                        guard usedSQL else { continue }
                        answeredInSQL += 1
                        compared += expected.count
                        #expect(
                            actual == expected,
                            "filter \(filter) order \(order) view \(stages): \(actual.count) runs, expected \(expected.count)")
                    }
                }
            }
            // Everything but ordering by params and ILIKE with a non-ASCII pattern goes to SQL.
            #expect(answeredInSQL == (Self.filters.count - 1) * (Self.orderings.count - 1) * 2, "searches answered in SQL")
            #expect(compared > 10_000, "runs compared")
        }
    }
}
