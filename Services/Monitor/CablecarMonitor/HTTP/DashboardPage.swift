import CablecarDomain
import Foundation

/// The monitor's dashboard as one self-contained HTML page (inline SVG and CSS, no scripts from
/// elsewhere, works offline). Pure: rows and alerts in, HTML out.
///
/// Sections: error over time per neighborhood by horizon (production, speed and flow), a
/// neighborhood x indicator heatmap (ratios to fallback and test period, fallback and stale
/// shares of the newest day), the feature x neighborhood drift heatmap of the newest drift window
/// (normalized Wasserstein distance from the training reference), the alert timeline, the equity view (worst and best neighborhood
/// and their ratio) and canary/shadow against production on the same windows.
public enum DashboardPage {
    public static func render(
        hourly: [WindowMetrics], daily: [WindowMetrics], alerts: [MonitorAlert], drift: [DriftFinding] = [],
        driftThreshold: Double = AlertRule().driftThreshold, generatedAt: EpochMillis
    ) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>cablecar-monitor</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
            table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
            th{background:#f3f3f3}td.name{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1em}
            .chart{border:1px solid #ddd;padding:.4em}.open{color:#b00}.resolved{color:#070}.muted{color:#777}
            </style></head><body>
            <h1>cablecar-monitor</h1>
            <p class="muted">Generated \(escape(iso(generatedAt))). Windows by the event time of the predicted interval; errors are MAE.</p>

            """
        html += errorCharts(hourly)
        html += heatmap(daily)
        html += driftHeatmap(drift, threshold: driftThreshold)
        html += alertTimeline(alerts, hourly: hourly)
        html += equity(daily)
        html += canary(daily)
        html += "</body></html>\n"
        return html
    }

    static let horizonColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]

    /// One small line chart per neighborhood and target: hourly MAE by horizon, fallback dashed.
    static func errorCharts(_ rows: [WindowMetrics]) -> String {
        let production = rows.filter { $0.role == "production" && $0.mae != nil }
        var html = "<h2>Error over time by neighborhood and horizon</h2>\n"
        guard !production.isEmpty else { return html + "<p class=\"muted\">No joined pairs yet.</p>\n" }
        let horizons = Array(Set(production.map(\.horizonMinutes))).sorted()
        html +=
            "<p>"
            + horizons.enumerated().map { i, h in
                "<span style=\"color:\(horizonColors[i % horizonColors.count])\">&#9632; h\(h)</span>"
            }.joined(separator: " ") + " <span class=\"muted\">(dashed: fallback)</span></p>\n<div class=\"charts\">\n"
        for target in Array(Set(production.map(\.target))).sorted() {
            for neighborhood in Array(Set(production.map(\.neighborhood))).sorted() {
                let series = production.filter { $0.target == target && $0.neighborhood == neighborhood }
                html += chart(title: "\(neighborhood) · \(target)", series: series, horizons: horizons)
            }
        }
        return html + "</div>\n"
    }

    static func chart(title: String, series: [WindowMetrics], horizons: [Int]) -> String {
        let width = 260.0
        let height = 110.0
        let pad = 24.0
        let times = series.map(\.windowStart)
        let values = series.compactMap(\.mae) + series.compactMap(\.baselineMAE)
        guard let t0 = times.min(), let t1 = times.max(), let top = values.max(), top > 0 else { return "" }
        let span = Double(max(t1 - t0, 1))
        func x(_ t: EpochMillis) -> Double { pad + (width - pad - 4) * Double(t - t0) / span }
        func y(_ v: Double) -> Double { height - pad + 4 - (height - pad) * v / top }
        var svg =
            "<div class=\"chart\"><svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"\(Int(pad))\" y=\"12\" font-size=\"11\">\(escape(title))</text>"
        svg += "<text x=\"2\" y=\"\(Int(y(top)) + 4)\" font-size=\"9\">\(format(top))</text>"
        svg += "<line x1=\"\(pad)\" y1=\"\(y(0))\" x2=\"\(width - 4)\" y2=\"\(y(0))\" stroke=\"#999\"/>"
        for (i, horizon) in horizons.enumerated() {
            let points = series.filter { $0.horizonMinutes == horizon }.sorted { $0.windowStart < $1.windowStart }
            let color = horizonColors[i % horizonColors.count]
            let model = points.compactMap { p in p.mae.map { "\(format(x(p.windowStart))),\(format(y($0)))" } }
            let base = points.compactMap { p in p.baselineMAE.map { "\(format(x(p.windowStart))),\(format(y($0)))" } }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(model.joined(separator: " "))\"/>"
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-dasharray=\"3 2\" points=\"\(base.joined(separator: " "))\"/>"
        }
        return svg + "</svg></div>\n"
    }

    /// Newest day, per neighborhood: indicators coloured from green (fine) to red (at or past
    /// the alert threshold).
    static func heatmap(_ daily: [WindowMetrics]) -> String {
        var html = "<h2>Neighborhood × indicator (newest day)</h2>\n"
        guard let day = daily.map(\.windowStart).max() else { return html + "<p class=\"muted\">No day windows yet.</p>\n" }
        let rows = daily.filter { $0.windowStart == day }
        let neighborhoods = Array(Set(rows.map(\.neighborhood))).sorted()
        let indicators: [(String, Double, ([WindowMetrics]) -> Double?)] = [
            ("MAE / fallback", 1.1, { rs in ratio(rs.filter { $0.role == "production" }, \.mae, \.baselineMAE) }),
            ("MAE / test period", 1.5, { rs in ratio(rs.filter { $0.role == "production" && $0.testMAE != nil }, \.mae, \.testMAE) }),
            ("fallback share", 0.2, { rs in share(rs.filter { $0.target == "speed_kmh" }, fallbackOnly: true) }),
            ("stale share", 0.2, { rs in share(rs.filter { $0.target == "speed_kmh" && $0.role == "production" }, fallbackOnly: false) }),
        ]
        html += "<table><tr><th>neighborhood</th>" + indicators.map { "<th>\(escape($0.0))</th>" }.joined() + "</tr>\n"
        for neighborhood in neighborhoods {
            let mine = rows.filter { $0.neighborhood == neighborhood }
            html += "<tr><td class=\"name\">\(escape(neighborhood))</td>"
            for (_, threshold, value) in indicators {
                if let v = value(mine) {
                    let heat = min(max(v / threshold, 0), 1.5) / 1.5
                    let color = "hsl(\(Int(120 - 120 * heat)),70%,80%)"
                    html += "<td style=\"background:\(color)\">\(format(v))</td>"
                } else {
                    html += "<td class=\"muted\">–</td>"
                }
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// Rows: features, then predictions; columns: neighborhoods; cells: the normalized Wasserstein
    /// distance of the newest window, green below Evidently's 0.1, red at the alert threshold.
    static func driftHeatmap(_ findings: [DriftFinding], threshold: Double) -> String {
        var html = "<h2>Feature × neighborhood drift (newest window against the training reference)</h2>\n"
        guard !findings.isEmpty else {
            return html + "<p class=\"muted\">No drift window yet: a window is judged once it covers most of its hours.</p>\n"
        }
        let neighborhoods = Array(Set(findings.map(\.neighborhood))).sorted()
        let columns = Array(Set(findings.map { "\($0.kind == .feature ? 0 : 1)|\($0.name)" })).sorted().map {
            String($0.split(separator: "|", maxSplits: 1)[1])
        }
        var value: [String: Double] = [:]
        for finding in findings { value["\(finding.neighborhood)|\(finding.name)"] = finding.shift.normalizedWasserstein }
        html += "<p class=\"muted\">Normalized Wasserstein distance; alert threshold \(format(threshold)).</p>\n"
        html += "<table><tr><th>column</th>" + neighborhoods.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for column in columns {
            html += "<tr><td class=\"name\">\(escape(column))</td>"
            for neighborhood in neighborhoods {
                if let v = value["\(neighborhood)|\(column)"] {
                    let heat = min(max(v / max(threshold, 0.01), 0), 1)
                    html += "<td style=\"background:hsl(\(Int(120 - 120 * heat)),70%,80%)\">\(format(v))</td>"
                } else {
                    html += "<td class=\"muted\">–</td>"
                }
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    static func ratio(_ rows: [WindowMetrics], _ a: KeyPath<WindowMetrics, Double?>, _ b: KeyPath<WindowMetrics, Double?>) -> Double? {
        let weight = rows.map { Double($0.count) }.reduce(0, +)
        guard weight > 0 else { return nil }
        let top = rows.compactMap { r in r[keyPath: a].map { $0 * Double(r.count) } }.reduce(0, +)
        let bottom = rows.compactMap { r in r[keyPath: b].map { $0 * Double(r.count) } }.reduce(0, +)
        return bottom > 0 ? top / bottom : nil
    }

    static func share(_ rows: [WindowMetrics], fallbackOnly: Bool) -> Double? {
        let served = rows.filter { $0.role == "production" || $0.role == "fallback" }.map(\.count).reduce(0, +)
        guard served > 0 else { return nil }
        let part = fallbackOnly ? rows.filter { $0.role == "fallback" }.map(\.count).reduce(0, +) : rows.map(\.staleCount).reduce(0, +)
        return Double(part) / Double(served)
    }

    /// Alerts on a time axis: a bar from opening to resolution (or now) per alert.
    static func alertTimeline(_ alerts: [MonitorAlert], hourly: [WindowMetrics]) -> String {
        var html = "<h2>Alerts</h2>\n"
        guard !alerts.isEmpty else { return html + "<p class=\"muted\">No alerts.</p>\n" }
        let starts = alerts.map(\.windowStart) + hourly.map(\.windowStart)
        let ends = alerts.map(\.windowEnd) + hourly.map { $0.windowStart + 3_600_000 }
        let t0 = starts.min() ?? 0
        let t1 = max(ends.max() ?? t0 + 1, t0 + 1)
        let width = 700.0
        let rowHeight = 18.0
        var byID: [String: (open: MonitorAlert?, resolved: MonitorAlert?)] = [:]
        for alert in alerts {
            if alert.state == .open {
                byID[alert.alertID, default: (nil, nil)].open = alert
            } else {
                byID[alert.alertID, default: (nil, nil)].resolved = alert
            }
        }
        let ids = byID.keys.sorted()
        html +=
            "<svg width=\"\(Int(width) + 160)\" height=\"\(Int(rowHeight) * ids.count + 10)\" role=\"img\" aria-label=\"alert timeline\">"
        for (i, id) in ids.enumerated() {
            guard let first = byID[id]?.open ?? byID[id]?.resolved else { continue }
            let from = first.windowStart
            let to = byID[id]?.resolved?.windowEnd ?? t1
            let x0 = 150 + width * Double(from - t0) / Double(t1 - t0)
            let x1 = 150 + width * Double(to - t0) / Double(t1 - t0)
            let y = 4 + rowHeight * Double(i)
            let color = byID[id]?.resolved == nil ? "#d62728" : "#2ca02c"
            html += "<text x=\"0\" y=\"\(format(y + 12))\" font-size=\"11\">\(escape(first.neighborhood))</text>"
            html +=
                "<rect x=\"\(format(x0))\" y=\"\(format(y))\" width=\"\(format(max(x1 - x0, 2)))\" height=\"14\" fill=\"\(color)\"><title>\(escape(first.summary))</title></rect>"
        }
        html +=
            "</svg>\n<table><tr><th>state</th><th>neighborhood</th><th>metric</th><th>value</th><th>threshold</th><th>window</th><th>model</th><th>summary</th></tr>\n"
        for alert in alerts {
            html +=
                "<tr><td class=\"\(alert.state.rawValue)\">\(alert.state.rawValue)</td><td class=\"name\">\(escape(alert.neighborhood))</td>"
            html += "<td class=\"name\">\(escape(alert.metric))</td><td>\(format(alert.value))</td><td>\(format(alert.threshold))</td>"
            html += "<td>\(escape(iso(alert.windowStart)))</td><td>\(escape(alert.modelName)) v\(alert.modelVersion)</td>"
            html += "<td class=\"name\">\(escape(alert.summary))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Newest day, production, per target and horizon: the worst and best neighborhood's MAE.
    static func equity(_ daily: [WindowMetrics]) -> String {
        var html = "<h2>Equity (newest day)</h2>\n"
        guard let day = daily.map(\.windowStart).max() else { return html + "<p class=\"muted\">No day windows yet.</p>\n" }
        let rows = daily.filter { $0.windowStart == day && $0.role == "production" && $0.mae != nil }
        html += "<table><tr><th>target</th><th>horizon</th><th>worst</th><th>MAE</th><th>best</th><th>MAE</th><th>worst / best</th></tr>\n"
        let groups = Dictionary(grouping: rows) { "\($0.target)|\($0.horizonMinutes)" }
        for key in groups.keys.sorted() {
            guard let group = groups[key], let worst = group.max(by: { ($0.mae ?? 0) < ($1.mae ?? 0) }),
                let best = group.min(by: { ($0.mae ?? 0) < ($1.mae ?? 0) }), let w = worst.mae, let b = best.mae
            else { continue }
            html +=
                "<tr><td class=\"name\">\(escape(worst.target))</td><td>h\(worst.horizonMinutes)</td><td class=\"name\">\(escape(worst.neighborhood))</td>"
            html +=
                "<td>\(format(w))</td><td class=\"name\">\(escape(best.neighborhood))</td><td>\(format(b))</td><td>\(b > 0 ? format(w / b) : "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Newest day: every canary or shadow version beside production on the same neighborhood,
    /// target and horizon.
    static func canary(_ daily: [WindowMetrics]) -> String {
        var html = "<h2>Canary and shadow vs production (newest day)</h2>\n"
        guard let day = daily.map(\.windowStart).max() else { return html + "<p class=\"muted\">No day windows yet.</p>\n" }
        let rows = daily.filter { $0.windowStart == day }
        let candidates = rows.filter { $0.role == "canary" || $0.role == "shadow" }
        guard !candidates.isEmpty else { return html + "<p class=\"muted\">No canary or shadow predictions.</p>\n" }
        html +=
            "<table><tr><th>neighborhood</th><th>target</th><th>horizon</th><th>role</th><th>version</th><th>MAE</th><th>production MAE</th><th>ratio</th></tr>\n"
        for c in candidates {
            let production = rows.first {
                $0.role == "production" && $0.neighborhood == c.neighborhood && $0.target == c.target
                    && $0.horizonMinutes == c.horizonMinutes
            }
            let ratio = c.mae.flatMap { m in production?.mae.flatMap { $0 > 0 ? m / $0 : nil } }
            html +=
                "<tr><td class=\"name\">\(escape(c.neighborhood))</td><td class=\"name\">\(escape(c.target))</td><td>h\(c.horizonMinutes)</td>"
            html += "<td class=\"name\">\(c.role)</td><td>\(c.modelVersion)</td><td>\(c.mae.map(format) ?? "–")</td>"
            html += "<td>\(production?.mae.map(format) ?? "–")</td><td>\(ratio.map(format) ?? "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        return String(format: "%.2f", value)
    }

    static func iso(_ millis: EpochMillis) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
