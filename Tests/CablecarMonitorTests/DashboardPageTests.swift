import CablecarDomain
import CablecarDrift
import Testing

@testable import CablecarMonitor

@Suite struct DashboardPageTests {
    static func rows() -> [WindowMetrics] {
        var rows: [WindowMetrics] = []
        for (i, neighborhood) in ["Alpha", "Beta <script>"].enumerated() {
            for hour in 0..<3 {
                for horizon in [15, 60] {
                    rows.append(
                        WindowMetrics(
                            windowKind: "hour", windowStart: SyntheticWindows.start + Int64(hour) * 3_600_000, neighborhood: neighborhood,
                            target: "speed_kmh", horizonMinutes: horizon, modelName: "traffic", modelVersion: 1, role: "production",
                            count: 40,
                            mae: 2 + Double(i * hour), baselineMAE: 3, staleCount: 2))
                }
            }
        }
        return rows
    }

    static let alert = MonitorAlert(
        alertID: "abc", eventTime: SyntheticWindows.start + 3 * 3_600_000, state: .open, neighborhood: "Beta <script>",
        metric: "speed_kmh.h15.mae_vs_baseline", value: 1.6, threshold: 1.1, window: "hour",
        windowStart: SyntheticWindows.start + 2 * 3_600_000,
        windowEnd: SyntheticWindows.start + 3 * 3_600_000, modelName: "traffic", modelVersion: 1, summary: "worse than the fallback")

    @Test func pageShowsNeighborhoodsAlertsAndEquityWithoutExternalResources() {
        var daily = Self.rows().filter { $0.horizonMinutes == 15 && $0.windowStart == SyntheticWindows.start + 2 * 3_600_000 }
        for index in daily.indices {
            daily[index].windowKind = "day"
            daily[index].windowStart = SyntheticWindows.start
        }
        var canary = daily[0]
        canary.role = "canary"
        canary.modelVersion = 2
        canary.mae = 1
        let page = DashboardPage.render(
            hourly: Self.rows(), daily: daily + [canary], alerts: [Self.alert], generatedAt: SyntheticWindows.start)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("Alpha"))
        #expect(page.contains("Beta &lt;script&gt;"))
        #expect(!page.contains("<script"))
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(page.contains("worse than the fallback"))
        #expect(page.contains("<polyline"))
        // Equity: Beta's 4.0 against Alpha's 2.0 on the newest day.
        #expect(page.contains("<td>2.00</td></tr>"))
        #expect(page.contains("<td class=\"name\">canary</td><td>2</td><td>1.00</td><td>2.00</td><td>0.50</td>"))
    }

    /// A newest drift window: Beta's speed moved two standard deviations (escaped name included).
    static let drift: [DriftFinding] = [
        ("Alpha", "speed_lag_1", 0.08), ("Beta <script>", "speed_lag_1", 2.0), ("Alpha", "prediction.speed_kmh.h15", 0.3),
    ]
    .map { neighborhood, name, distance in
        DriftFinding(
            windowEnd: SyntheticWindows.start + 86_400_000, windowHours: 24, neighborhood: neighborhood, modelName: "traffic",
            modelVersion: 1, kind: name.hasPrefix("prediction.") ? .prediction : .feature, name: name,
            shift: DistributionShift(
                referenceCount: 20_000, currentCount: 2_000, normalizedWasserstein: distance, ksStatistic: 0.1, ksPValue: 0.01, psi: 0.1,
                referenceMean: 40, currentMean: 40 - 8 * distance))
    }

    @Test func driftHeatmapHasAColumnPerNeighborhoodAndARowPerFeatureOrPrediction() {
        let page = DashboardPage.render(hourly: [], daily: [], alerts: [], drift: Self.drift, driftThreshold: 1.0, generatedAt: 0)
        #expect(page.contains("<th>Alpha</th><th>Beta &lt;script&gt;</th>"))
        // Features first, then predictions; a neighborhood without the column shows a dash.
        #expect(page.range(of: "<td class=\"name\">speed_lag_1</td>")!.lowerBound < page.range(of: "prediction.speed_kmh.h15")!.lowerBound)
        #expect(
            page.contains(
                "<td class=\"name\">prediction.speed_kmh.h15</td><td style=\"background:hsl(84,70%,80%)\">0.30</td><td class=\"muted\">–</td>"
            ))
        // At or above the threshold: fully red.
        #expect(page.contains("<td style=\"background:hsl(0,70%,80%)\">2.00</td>"))
        #expect(!page.contains("<script"))
        #expect(DashboardPage.render(hourly: [], daily: [], alerts: [], generatedAt: 0).contains("No drift window yet"))
    }

    @Test func emptyPageSaysSo() {
        let page = DashboardPage.render(hourly: [], daily: [], alerts: [], generatedAt: 0)
        #expect(page.contains("No joined pairs yet."))
        #expect(page.contains("No alerts."))
    }
}
