import ArgumentParser
import CablecarDomain
import Foundation

/// `cablecar drift report --by neighborhood`: forecast accuracy and drift per neighborhood from
/// cablecar-monitor's HTTP API.
struct DriftReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Per neighborhood: forecast accuracy by horizon against the fallback and the test period, and alerts, from cablecar-monitor.",
        discussion:
            "Reads the monitor at --monitor (default $CABLECAR_MONITOR_URL or http://127.0.0.1:8085). Exit status: 0 reported, 64 bad arguments, 69 monitor unreachable or failing."
    )
    static let urlVariable = "CABLECAR_MONITOR_URL"

    @Option(name: .long, help: "Group by: neighborhood (the only grouping so far).")
    var by: String = "neighborhood"

    @Option(name: .long, help: ArgumentHelp("Start (YYYY-MM-DD or epoch milliseconds, default 7 days before --to).", valueName: "time"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("End, exclusive (YYYY-MM-DD or epoch milliseconds, default now).", valueName: "time"))
    var to: String?

    @Option(name: .long, help: "Output format: table, json or html.")
    var format: String = "table"

    @Option(name: .long, help: ArgumentHelp("Monitor base URL.", valueName: "URL"))
    var monitor: String?

    @Option(name: .long, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    func run() async throws {
        guard by == "neighborhood" else { throw ValidationError("--by must be neighborhood, not '\(by)'") }
        guard ["table", "json", "html"].contains(format) else {
            throw ValidationError("--format must be table, json or html, not '\(format)'")
        }
        let end = try to.map { try Self.time($0, name: "--to") } ?? EpochMillis(Date().timeIntervalSince1970 * 1000)
        let start = try from.map { try Self.time($0, name: "--from") } ?? end - 7 * 86_400_000
        guard start < end else { throw ValidationError("--from must be before --to") }
        let base = (monitor ?? ProcessInfo.processInfo.environment[Self.urlVariable] ?? "http://127.0.0.1:8085")
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let report: MonitorReport
        do {
            report = try await Self.fetch(monitor: base, from: start, to: end)
        } catch let error as ValidationErrorText {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(69)
        }
        let text: String
        switch format {
        case "json": text = try report.json()
        case "html": text = report.html()
        default: text = report.table()
        }
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("wrote \(format) report to \(output): \(report.neighborhoods.count) neighborhoods\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    struct AccuracyResponse: Decodable { var windows: [MonitorReport.WindowRow] }
    struct AlertsResponse: Decodable { var alerts: [MonitorAlert] }
    struct DriftResponse: Decodable { var findings: [MonitorReport.DriftRow] }

    /// The report over [start, end) from the monitor at `base`: day windows starting in the
    /// range and the alerts overlapping it. Shared with `cablecar run`'s closing report.
    static func fetch(monitor base: String, from start: EpochMillis, to end: EpochMillis) async throws -> MonitorReport {
        let dayStart = start - ((start % 86_400_000) + 86_400_000) % 86_400_000
        let rows = try await get("\(base)/api/v1/accuracy?window=day&from=\(dayStart)&to=\(end)", as: AccuracyResponse.self).windows
        let alerts = try await get("\(base)/api/v1/alerts?limit=10000", as: AlertsResponse.self).alerts
            .filter { $0.windowEnd > start && $0.windowStart < end }
        let drift = try await get("\(base)/api/v1/drift?latest=true&from=\(start)&to=\(end)&limit=100000", as: DriftResponse.self).findings
        return MonitorReport.build(from: start, to: end, rows: rows, alerts: alerts, drift: drift)
    }

    static func get<T: Decodable>(_ url: String, as type: T.Type) async throws -> T {
        let response: (status: Int, body: Data)
        do {
            response = try await HTTPGet.fetch(url, timeout: 30)
        } catch {
            throw ValidationErrorText("cannot reach cablecar-monitor at \(url): \(error); start it or pass --monitor")
        }
        guard response.status == 200 else {
            throw ValidationErrorText(
                "cablecar-monitor answered \(response.status) for \(url): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw ValidationErrorText("cablecar-monitor's answer for \(url) is not what this CLI reads: \(error)")
        }
    }

    /// YYYY-MM-DD (UTC midnight) or epoch milliseconds.
    static func time(_ text: String, name: String) throws -> EpochMillis {
        if let millis = Int64(text), (0...(1 << 50)).contains(millis) { return millis }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1970...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw ValidationError("\(name) must be YYYY-MM-DD or epoch milliseconds, not '\(text)'")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
            throw ValidationError("\(name) is not a date: '\(text)'")
        }
        return EpochMillis(date.timeIntervalSince1970 * 1000)
    }
}
