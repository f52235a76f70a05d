import Foundation

/// Plain-text report for terminals: one block per group, worst group first.
public enum TableReport {
    public static func render(_ report: DriftReport) -> String {
        var out = "Drift: \(report.current) vs reference \(report.reference)"
        if let by = report.groupColumn { out += " by \(by)" }
        out +=
            "\n\(report.driftedGroups) of \(report.groups.count) groups drifted (a group drifts when at least \(percent(report.driftShareThreshold)) of its features drift)\n"
        for warning in report.warnings { out += "warning: \(warning)\n" }
        for group in report.groups {
            out += "\n"
            out += groupLine(group) + "\n"
            for note in group.notes { out += "  note: \(note)\n" }
            guard !group.features.isEmpty else { continue }
            let rows = group.features.map(featureRow)
            let header = ["feature", "test", "statistic", "p-value", "threshold", "drifted", "ref n", "cur n"]
            var widths = header.map(\.count)
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                "  "
                    + cells.enumerated().map { i, c in
                        i < 2
                            ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[i] - c.count) + c
                    }.joined(separator: "  ")
            }
            out += line(header) + "\n"
            for row in rows { out += line(row) + "\n" }
            for f in group.features where !f.notes.isEmpty {
                for note in f.notes { out += "  \(f.feature): \(note)\n" }
            }
        }
        return out
    }

    static func groupLine(_ g: GroupResult) -> String {
        switch g.status {
        case .onlyInReference: return "\(g.group): only in the reference (\(g.referenceRows) rows)"
        case .onlyInCurrent: return "\(g.group): only in the current data (\(g.currentRows) rows)"
        case .compared:
            let verdict = g.drifted.map { $0 ? "DRIFTED" : "no drift" } ?? "not tested"
            let share =
                g.driftShare.map { "\(g.driftedFeatures)/\(g.testedFeatures) features drifted (\(percent($0)))" } ?? "no feature tested"
            return "\(g.group): \(verdict), \(share); \(g.referenceRows) reference rows, \(g.currentRows) current rows"
        }
    }

    static func featureRow(_ f: FeatureResult) -> [String] {
        [
            f.feature,
            f.test.rawValue + (f.method.map { " (\($0))" } ?? ""),
            f.statistic.map(number) ?? "-",
            f.pValue.map(number) ?? "-",
            number(f.threshold),
            f.drifted.map { $0 ? "yes" : "no" } ?? statusWord(f.status),
            String(f.referenceCount),
            String(f.currentCount),
        ]
    }

    static func statusWord(_ s: FeatureResult.Status) -> String {
        switch s {
        case .tested: return "-"
        case .insufficientData: return "too few rows"
        case .missingOnOneSide: return "one side empty"
        case .notApplicable: return "n/a"
        }
    }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == 0 { return "0" }
        if abs(x) < 1e-4 || abs(x) >= 1e6 { return String(format: "%.3e", x) }
        return String(format: "%.4f", x)
    }

    static func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
}
