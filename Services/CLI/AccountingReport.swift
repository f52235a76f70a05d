import Foundation

/// Ingest's `GET /api/v1/accounting` answer, as the CLI prints it.
struct AccountingReport: Decodable {
    struct Feed: Decodable {
        let feed: String
        let received: Int
        let accepted: Int
        let rejected: Int
        let duplicate: Int
        let rejectedByReason: [String: Int]?
    }

    struct Neighborhood: Decodable {
        let neighborhood: String
        let received: Int
        let accepted: Int
        let rejected: Int
        let duplicate: Int
    }

    let feeds: [Feed]
    let neighborhoods: [Neighborhood]?

    var totalReceived: Int { feeds.reduce(0) { $0 + $1.received } }

    func rendered(expected: Int) -> String {
        var lines = ["", "ingest accounting (raw records on the topics: \(expected))", ""]
        lines.append(row(["feed", "received", "accepted", "rejected", "duplicate", "adds up"]))
        for feed in feeds.sorted(by: { $0.feed < $1.feed }) {
            let addsUp = feed.accepted + feed.rejected + feed.duplicate == feed.received
            lines.append(row([feed.feed, "\(feed.received)", "\(feed.accepted)", "\(feed.rejected)", "\(feed.duplicate)", addsUp ? "yes" : "NO"]))
        }
        let reasons = feeds.flatMap { ($0.rejectedByReason ?? [:]).map { ($0.key, $0.value) } }
        if !reasons.isEmpty {
            lines.append("")
            lines.append("rejected by reason:")
            for (reason, count) in Dictionary(reasons, uniquingKeysWith: +).sorted(by: { $0.value > $1.value }) {
                lines.append("  \(reason.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count)")
            }
        }
        if let neighborhoods, !neighborhoods.isEmpty {
            lines.append("")
            lines.append(row(["neighborhood", "received", "accepted", "rejected", "duplicate", ""]))
            for entry in neighborhoods.sorted(by: { $0.neighborhood < $1.neighborhood }) {
                lines.append(row([entry.neighborhood, "\(entry.received)", "\(entry.accepted)", "\(entry.rejected)", "\(entry.duplicate)", ""]))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == 0 ? cell.padding(toLength: 22, withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, 10 - cell.count)) + cell
        }.joined(separator: " ")
    }
}
