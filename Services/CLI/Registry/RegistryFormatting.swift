import CablecarRegistryAPI
import Foundation

/// Plain-text tables and timestamps for the registry commands.
enum RegistryFormatting {
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "-" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func duration(_ millis: Int64?) -> String {
        guard let millis else { return "-" }
        if millis < 1000 { return "\(millis)ms" }
        let seconds = Double(millis) / 1000
        return seconds < 120 ? String(format: "%.1fs", seconds) : String(format: "%.1fmin", seconds / 60)
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }

    static func keyValues(_ title: String, _ values: [String: String]) -> String {
        guard !values.isEmpty else { return "\(title): (none)" }
        return "\(title):\n" + values.sorted { $0.key < $1.key }.map { "  \($0.key) = \($0.value)" }.joined(separator: "\n")
    }

    static func run(_ run: Run) -> String {
        var lines = [
            "run \(run.id)  \(run.name)",
            "status: \(run.status.rawValue)" + (run.failureReason.map { " (\($0))" } ?? ""),
            "experiment: \(run.experimentID)  started: \(time(run.startTime))  ended: \(time(run.endTime))  duration: \(duration(run.durationMillis))",
            "host: \(run.host.isEmpty ? "-" : run.host)  user: \(run.userID.isEmpty ? "-" : run.userID)",
            "dataset fingerprint: \(run.lineage.datasetFingerprint ?? "-")  code version: \(run.lineage.codeVersion ?? "-")",
            keyValues("feature versions", run.lineage.featureVersions.mapValues(String.init)),
            keyValues("params", run.params),
            keyValues("metrics (latest)", run.latestMetrics.mapValues { "\(number($0.value)) (step \($0.step))" }),
            keyValues("tags", run.tags),
            datasets(run.datasetInputs ?? []),
        ]
        lines.removeAll { $0.isEmpty }
        return lines.joined(separator: "\n")
    }

    /// One line per dataset the run read; client-written text, so each field is cut short.
    static func datasets(_ inputs: [DatasetInput]) -> String {
        guard !inputs.isEmpty else { return "datasets read: (none)" }
        return "datasets read:\n"
            + inputs.map { input in
                "  \(input.name.prefix(80))  digest \(input.digest)  context \(input.tags["mlflow.data.context"]?.prefix(40) ?? "-")"
                    + "  source \(input.source.prefix(120))"
            }.joined(separator: "\n")
    }

    static func version(_ version: ModelVersion) -> [String] {
        [
            String(version.version), version.stage.rawValue, version.aliases.joined(separator: ","), version.runID ?? "-",
            version.artifactSHA256.map { String($0.prefix(12)) } ?? "-", time(version.createdAt), version.description,
        ]
    }

    static let versionHeader = ["VERSION", "STAGE", "ALIASES", "RUN", "SHA256", "CREATED", "DESCRIPTION"]
}
