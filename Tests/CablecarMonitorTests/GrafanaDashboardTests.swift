import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarMonitor

@Suite struct GrafanaDashboardTests {
    /// Every monitor metric the provisioned dashboard queries is one the code exports, and every
    /// exported metric is on the dashboard.
    @Test func dashboardQueriesExactlyTheMetricsTheCodeExports() throws {
        let url = TestStack.repositoryRoot.appendingPathComponent("deploy/grafana/provisioning/dashboards/cablecar-monitor.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let panels = try #require(document["panels"] as? [[String: Any]])
        var queried: Set<String> = []
        let pattern = try NSRegularExpression(pattern: "cablecar_monitor_[a-z_]+")
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expression = try #require(target["expr"] as? String)
                for match in pattern.matches(in: expression, range: NSRange(expression.startIndex..., in: expression)) {
                    if let range = Range(match.range, in: expression) { queried.insert(String(expression[range])) }
                }
            }
        }
        #expect(!queried.isEmpty)
        #expect(
            queried.subtracting(MonitorMetrics.names).isEmpty,
            "dashboard queries unknown metrics: \(queried.subtracting(MonitorMetrics.names))")
        #expect(
            Set(MonitorMetrics.names).subtracting(queried).isEmpty,
            "metrics not on the dashboard: \(Set(MonitorMetrics.names).subtracting(queried))")
    }
}
