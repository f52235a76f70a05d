import Foundation

/// Ingest's `GET /api/v1/accounting` answer (docs/ingest.md), as the CLI prints it.
struct AccountingReport: Decodable {
    struct Counts: Decodable {
        let received: Int
        let accepted: Int
        let rejected: Int
        let duplicate: Int
        let rejectedByReason: [String: Int]

        enum CodingKeys: String, CodingKey {
            case received, accepted, rejected, duplicate
            case rejectedByReason = "rejected_by_reason"
        }

        var addsUp: Bool { accepted + rejected + duplicate == received }
    }

    let feeds: [String: Counts]
    let neighborhoods: [String: Counts]
    let total: Counts

    var totalReceived: Int { total.received }

    func rendered() -> String {
        var lines = ["", "ingest accounting: \(total.received) raw records, each accepted, rejected or a duplicate", ""]
        let header = ["", "received", "accepted", "rejected", "duplicate", "adds up"]
        lines.append(row(["feed"] + header.dropFirst()))
        for (feed, counts) in feeds.sorted(by: { $0.key < $1.key }) { lines.append(row(feed, counts)) }
        lines.append(row("total", total))
        lines.append("")
        lines.append(row(["neighborhood"] + header.dropFirst()))
        for (neighborhood, counts) in neighborhoods.sorted(by: { $0.key < $1.key }) { lines.append(row(neighborhood, counts)) }
        if !total.rejectedByReason.isEmpty {
            lines.append("")
            lines.append("rejected, by reason:")
            for (reason, count) in total.rejectedByReason.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                lines.append("  " + reason.padding(toLength: 24, withPad: " ", startingAt: 0) + String(count))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ counts: Counts) -> String {
        row([name, "\(counts.received)", "\(counts.accepted)", "\(counts.rejected)", "\(counts.duplicate)", counts.addsUp ? "yes" : "NO"])
    }

    private func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == 0
                ? cell.padding(toLength: 22, withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, 10 - cell.count)) + cell
        }.joined(separator: " ")
    }
}
