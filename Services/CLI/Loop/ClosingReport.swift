import CablecarDomain
import Foundation

/// The loop's closing report: the monitor's per-neighborhood table (accuracy by horizon against
/// the fallback and the test-period error, drift, alerts) on the terminal, its dashboard saved as
/// an HTML file beside the local stack, and the model versions with their lineage.
struct ClosingReport {
    let monitorPort: Int
    let trainerPort: Int
    let home: URL
    /// The served (simulated) days, [start, end) in epoch milliseconds.
    let served: Range<EpochMillis>
    var modelName = "traffic-forecast"

    func write() async throws {
        do {
            let report = try await DriftReportCommand.fetch(
                monitor: "http://127.0.0.1:\(monitorPort)", from: served.lowerBound, to: served.upperBound)
            print(report.table())
        } catch {
            print("monitor report: not available (\(error)); see the cablecar-monitor log")
        }
        let html = home.appendingPathComponent("report.html")
        if let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(monitorPort)/dashboard", timeout: 30), status == 200 {
            try body.write(to: html)
            print("HTML report: \(html.path)")
        }
        print(await versions())
    }

    private func versions() async -> String {
        guard let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(trainerPort)/api/v1/models/\(modelName)"),
            status == 200, let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let versions = object["versions"] as? [[String: Any]]
        else { return "model versions: not available" }
        var lines = ["model versions of \(modelName) (lineage: cablecar models lineage \(modelName) <version>):"]
        for version in versions.sorted(by: { ($0["version"] as? Int ?? 0) < ($1["version"] as? Int ?? 0) }) {
            let number = version["version"].map { "\($0)" } ?? "?"
            let stage = version["stage"] as? String ?? "?"
            let run = (version["runID"] as? String).map { "run \($0.prefix(12))" } ?? "no run"
            let description = version["description"] as? String ?? ""
            lines.append("  v\(number)  \(stage.padding(toLength: 10, withPad: " ", startingAt: 0))  \(run)  \(description)")
        }
        return lines.joined(separator: "\n")
    }
}
