import Foundation

/// One self-contained HTML page: inline CSS and inline SVG, no scripts, fonts or network, so the
/// page can be mailed, archived or opened offline. A summary table, then per group the drifted
/// features with charts comparing reference and current distributions.
public enum HTMLReport {
    public static func render(_ report: DriftReport) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Cablecar drift report</title>
            <style>
            body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
            table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #dde;text-align:right}
            th:first-child,td:first-child,td.l{text-align:left}.drift{color:#b3261e;font-weight:600}.ok{color:#1e7a34}
            .muted{color:#667}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #dde;padding:.4rem}
            .legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:middle}
            </style></head><body>
            <h1>Drift report</h1>

            """
        html += "<p>Current <code>\(escape(report.current))</code> against reference <code>\(escape(report.reference))</code>"
        if let by = report.groupColumn { html += ", per <code>\(escape(by))</code>" }
        html +=
            ". <strong>\(report.driftedGroups) of \(report.groups.count)</strong> groups drifted (threshold: \(TableReport.percent(report.driftShareThreshold)) of features).</p>\n"
        for w in report.warnings { html += "<p class=\"drift\">Warning: \(escape(w))</p>\n" }
        html +=
            "<p class=\"legend\">Charts:<span style=\"background:#4c78a8\"></span>reference<span style=\"background:#e45756\"></span>current</p>\n"
        html +=
            "<h2>Summary</h2>\n<table><tr><th>group</th><th>status</th><th>drifted features</th><th>share</th><th>reference rows</th><th>current rows</th></tr>\n"
        for (i, g) in report.groups.enumerated() {
            let status: String
            switch g.status {
            case .compared:
                status =
                    g.drifted.map { $0 ? "<span class=\"drift\">drifted</span>" : "<span class=\"ok\">no drift</span>" } ?? "not tested"
            case .onlyInReference: status = "only in reference"
            case .onlyInCurrent: status = "only in current"
            }
            html +=
                "<tr><td><a href=\"#g\(i)\">\(escape(g.group))</a></td><td class=\"l\">\(status)</td><td>\(g.driftedFeatures) / \(g.testedFeatures)</td>"
            html += "<td>\(g.driftShare.map(TableReport.percent) ?? "–")</td><td>\(g.referenceRows)</td><td>\(g.currentRows)</td></tr>\n"
        }
        html += "</table>\n"
        for (i, g) in report.groups.enumerated() {
            html += "<h2 id=\"g\(i)\">\(escape(g.group))</h2>\n<p>\(escape(TableReport.groupLine(g)))</p>\n"
            for note in g.notes { html += "<p class=\"muted\">\(escape(note))</p>\n" }
            guard !g.features.isEmpty else { continue }
            html +=
                "<table><tr><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drifted</th><th>notes</th></tr>\n"
            for f in g.features {
                let row = TableReport.featureRow(f)
                let cls = f.drifted == true ? " class=\"drift\"" : ""
                html +=
                    "<tr\(cls)><td>\(escape(row[0]))</td><td class=\"l\">\(escape(row[1]))</td><td>\(row[2])</td><td>\(row[3])</td><td>\(row[4])</td><td>\(escape(row[5]))</td>"
                html += "<td class=\"l muted\">\(escape(f.notes.joined(separator: "; ")))</td></tr>\n"
            }
            html += "</table>\n"
            let charted = g.features.filter { $0.chart != nil }
            if !charted.isEmpty {
                html += "<div class=\"charts\">\n"
                for f in charted { if let chart = f.chart { html += "<div class=\"chart\">" + svg(title: f.feature, chart) + "</div>\n" } }
                html += "</div>\n"
            }
        }
        html += "</body></html>\n"
        return html
    }

    /// Side-by-side bars of reference and current shares per bin.
    static func svg(title: String, _ chart: DistributionChart) -> String {
        let width = 320.0
        let height = 170.0
        let left = 34.0
        let bottom = 28.0
        let top = 20.0
        let bins = max(chart.reference.count, 1)
        let maxShare = max(chart.reference.max() ?? 0, chart.current.max() ?? 0, 1e-12)
        let plotW = width - left - 6
        let plotH = height - top - bottom
        let slot = plotW / Double(bins)
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        s += "<text x=\"\(left)\" y=\"13\" font-size=\"12\" font-weight=\"600\">\(escape(title))</text>"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - 6)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
        s += "<text x=\"2\" y=\"\(top + 8)\" font-size=\"9\" fill=\"#667\">\(TableReport.percent(maxShare))</text>"
        for i in 0..<chart.reference.count {
            let x = left + Double(i) * slot
            let barW = max(slot / 2 - 0.5, 0.5)
            let rh = chart.reference[i] / maxShare * plotH
            let ch = (i < chart.current.count ? chart.current[i] : 0) / maxShare * plotH
            s += rect(x, top + plotH - rh, barW, rh, "#4c78a8")
            s += rect(x + barW, top + plotH - ch, barW, ch, "#e45756")
        }
        if let labels = chart.labels {
            for (i, label) in labels.enumerated() where bins <= 12 {
                let x = left + (Double(i) + 0.5) * slot
                s +=
                    "<text x=\(quoted(x)) y=\"\(height - 14)\" font-size=\"9\" text-anchor=\"middle\">\(escape(String(label.prefix(8))))</text>"
            }
        } else if let edges = chart.edges, let first = edges.first, let last = edges.last {
            s += "<text x=\"\(left)\" y=\"\(height - 14)\" font-size=\"9\">\(TableReport.number(first))</text>"
            s += "<text x=\"\(width - 6)\" y=\"\(height - 14)\" font-size=\"9\" text-anchor=\"end\">\(TableReport.number(last))</text>"
        }
        return s + "</svg>"
    }

    private static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ color: String) -> String {
        "<rect x=\(quoted(x)) y=\(quoted(y)) width=\(quoted(w)) height=\(quoted(h)) fill=\"\(color)\"/>"
    }

    private static func quoted(_ x: Double) -> String { "\"" + String(format: "%.1f", x) + "\"" }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
