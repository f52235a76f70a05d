/// Output formats of a drift report.
public enum ReportFormat: String, Sendable, CaseIterable, Codable {
    case table
    case json
    case html

    /// Renders a report in this format.
    public func render(_ report: DriftReport) throws(DriftError) -> String {
        switch self {
        case .table: return TableReport.render(report)
        case .json:
            do {
                return String(decoding: try report.jsonData(), as: UTF8.self) + "\n"
            } catch {
                throw DriftError(.cannotWrite, "cannot encode the report as JSON: \(error)")
            }
        case .html: return HTMLReport.render(report)
        }
    }
}
