import CablecarDomain

/// What an import did, for people: counts that add up, rejections by reason, the first few
/// rejected lines, and what was assumed where a column was absent.
public struct ImportSummary: Sendable {
    public let text: String

    public static let listedRejections = 20

    public init(readings: ReadingsImport, feed: ImportedFeed, city: CityDefinition, destination: String) {
        var lines = [
            "rows read \(readings.rowsRead) = produced \(feed.rowsProduced) + rejected \(readings.rejections.count)",
            "raw.loop messages \(feed.records.count) to \(destination)",
            "city \(city.name): \(city.neighborhoods.count) neighborhoods, \(city.segments.count) segments, \(city.sensors.count) detectors",
        ]
        if let first = feed.records.first?.eventTime, let last = feed.records.last?.eventTime {
            lines.append("event times \(first) to \(last) (epoch ms)")
        }
        var byReason: [RowRejection.Reason: Int] = [:]
        for rejection in readings.rejections { byReason[rejection.reason, default: 0] += 1 }
        for reason in RowRejection.Reason.allCases {
            if let count = byReason[reason] { lines.append("rejected \(reason.rawValue): \(count)") }
        }
        for rejection in readings.rejections.prefix(Self.listedRejections) { lines.append("  \(rejection)") }
        if readings.rejections.count > Self.listedRejections {
            lines.append("  ... \(readings.rejections.count - Self.listedRejections) more (--rejections-out FILE lists all)")
        }
        if feed.rowsWithoutSpeed > 0 {
            lines.append(
                "\(feed.rowsWithoutSpeed) rows had no speed_kmh: sent as the segment's free-flow speed (speed forecasts on them mean nothing)"
            )
        }
        text = lines.joined(separator: "\n")
    }

    public static func rejectionsCSV(_ rejections: [RowRejection]) -> String {
        let rows = rejections.map { "\($0.line),\($0.reason.rawValue),\"\($0.detail.replacingOccurrences(of: "\"", with: "\"\""))\"" }
        return (["line,reason,detail"] + rows).joined(separator: "\n") + "\n"
    }
}
