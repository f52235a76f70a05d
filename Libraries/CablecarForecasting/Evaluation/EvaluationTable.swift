import Foundation

/// Plain-text tables of an evaluation, for the CLI and logs.
public enum EvaluationTable {
    public static func render(_ report: EvaluationReport, verdict: GateVerdict? = nil) -> String {
        var out = ""
        let models = report.models
        for target in report.targets {
            out += "\n\(target.rawValue) — test MAE (RMSE) per horizon\n"
            let header = ["scope", "h"] + models.map(\.rawValue)
            var rows: [[String]] = [header]
            for horizon in report.horizons {
                for scope in [String?.none] + report.neighborhoods.map(Optional.some) {
                    var row = [scope ?? "ALL", "\(horizon)m"]
                    for model in models {
                        if let errors = report.errors(model, target, horizon, neighborhood: scope), let mae = errors.mae {
                            row.append(String(format: "%.3f (%.3f)", mae, errors.rmse ?? .nan))
                        } else {
                            row.append("—")
                        }
                    }
                    rows.append(row)
                }
            }
            let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
            for row in rows {
                out +=
                    zip(row, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ") + "\n"
            }
        }
        if let verdict {
            out += "\npromotion gates: \(verdict.passed ? "PASSED" : "FAILED")\n"
            for check in verdict.checks {
                out += "  [\(check.passed ? "ok" : "FAIL")] \(check.name): \(check.detail)\n"
            }
        }
        return out
    }
}
