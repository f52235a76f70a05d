import CablecarDomain
import Foundation

/// Table, JSON and HTML forms of a `MonitorReport`.
extension MonitorReport {
    func table() -> String {
        var lines = ["neighborhood    target      horizon  pairs    MAE  fallback  test  /fallback  /test  open alerts"]
        for n in neighborhoods {
            if n.accuracy.isEmpty {
                lines.append(pad(n.name, 16) + "(no joined pairs)" + String(repeating: " ", count: 49) + "\(n.openAlerts)")
            }
            for a in n.accuracy {
                lines.append(
                    pad(n.name, 16) + pad(a.target, 12) + pad("h\(a.horizon)", 9) + pad("\(a.pairs)", 7) + pad(fmt(a.mae), 7)
                        + pad(fmt(a.fallbackMAE), 10) + pad(fmt(a.testMAE), 6) + pad(fmt(a.ratioToFallback), 11)
                        + pad(fmt(a.ratioToTest), 7)
                        + "\(n.openAlerts)")
            }
        }
        let alerts = neighborhoods.flatMap(\.alerts)
        lines.append("")
        lines.append(alerts.isEmpty ? "no alerts" : "alerts:")
        for alert in alerts {
            lines.append(
                "  \(alert.state.rawValue) \(alert.neighborhood) \(alert.metric) \(fmt(alert.value)) >= \(fmt(alert.threshold)): \(alert.summary)"
            )
        }
        lines.append("")
        lines.append("drifted (normalized Wasserstein >= 0.1 from the training reference, newest window):")
        for n in neighborhoods {
            // The largest few; the JSON and HTML forms carry all of them.
            let shown = n.driftedFeatures.prefix(6).joined(separator: ", ")
            let more = n.driftedFeatures.count > 6 ? " and \(n.driftedFeatures.count - 6) more" : ""
            lines.append("  " + pad(n.name, 16) + (n.driftedFeatures.isEmpty ? "none" : shown + more))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func json() throws -> String {
        let encoder = WireCodec.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    func html() -> String {
        var html = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Forecast drift by neighborhood</title>
            <style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
            td.name{text-align:left}.bad{background:#fcc}</style></head><body><h1>Forecast drift by neighborhood</h1>
            <table><tr><th>neighborhood</th><th>target</th><th>horizon</th><th>pairs</th><th>MAE</th><th>fallback MAE</th><th>test MAE</th>
            <th>MAE / fallback</th><th>MAE / test</th><th>open alerts</th></tr>

            """
        for n in neighborhoods {
            for a in n.accuracy {
                let bad = (a.ratioToFallback ?? 0) >= 1.1 || (a.ratioToTest ?? 0) >= 1.5
                html +=
                    "<tr\(bad ? " class=\"bad\"" : "")><td class=\"name\">\(escape(n.name))</td><td class=\"name\">\(escape(a.target))</td>"
                html +=
                    "<td>h\(a.horizon)</td><td>\(a.pairs)</td><td>\(fmt(a.mae))</td><td>\(fmt(a.fallbackMAE))</td><td>\(fmt(a.testMAE))</td>"
                html += "<td>\(fmt(a.ratioToFallback))</td><td>\(fmt(a.ratioToTest))</td><td>\(n.openAlerts)</td></tr>\n"
            }
        }
        html += "</table><h2>Drifted features and predictions</h2><ul>\n"
        for n in neighborhoods {
            html +=
                "<li>\(escape(n.name)): \(n.driftedFeatures.isEmpty ? "none" : escape(n.driftedFeatures.joined(separator: ", ")))</li>\n"
        }
        html += "</ul><h2>Alerts</h2><ul>\n"
        for alert in neighborhoods.flatMap(\.alerts) {
            html += "<li>\(alert.state.rawValue) · \(escape(alert.neighborhood)) · \(escape(alert.metric)): \(escape(alert.summary))</li>\n"
        }
        return html + "</ul></body></html>\n"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func fmt(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.2f", value)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
