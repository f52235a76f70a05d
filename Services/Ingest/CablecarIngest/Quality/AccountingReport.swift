import CablecarDomain
import Logging
import PostgresNIO

/// What happened to every raw message, from the ledger: per feed and per neighborhood,
/// `accepted + rejected + duplicate = received` holds by construction (every message adds one
/// to exactly one outcome count, in the transaction that handles it).
public struct AccountingReport: Codable, Sendable, Equatable {
    public struct Counts: Codable, Sendable, Equatable {
        public var received = 0
        public var accepted = 0
        public var rejected = 0
        public var duplicate = 0
        public var rejectedByReason: [String: Int] = [:]

        mutating func add(outcome: String, reason: String?, count: Int) {
            received += count
            switch outcome {
            case "accepted": accepted += count
            case "duplicate": duplicate += count
            default:
                rejected += count
                rejectedByReason[reason ?? "unknown", default: 0] += count
            }
        }

        enum CodingKeys: String, CodingKey {
            case received, accepted, rejected, duplicate
            case rejectedByReason = "rejected_by_reason"
        }
    }

    public var feeds: [String: Counts] = [:]
    /// Records whose neighborhood could not be read (e.g. malformed JSON) count under "unknown".
    public var neighborhoods: [String: Counts] = [:]
    public var total = Counts()

    public static func load(from client: PostgresClient, logger: Logger) async throws -> AccountingReport {
        var report = AccountingReport()
        let rows = try await client.query(
            """
            SELECT feed, COALESCE(neighborhood, 'unknown'), outcome, reason, sum(count)::int8
            FROM ingest_outcome_counts GROUP BY 1, 2, 3, 4
            """, logger: logger)
        for try await (feed, neighborhood, outcome, reason, count) in rows.decode((String, String, String, String?, Int64).self) {
            report.feeds[feed, default: Counts()].add(outcome: outcome, reason: reason, count: Int(count))
            report.neighborhoods[neighborhood, default: Counts()].add(outcome: outcome, reason: reason, count: Int(count))
            report.total.add(outcome: outcome, reason: reason, count: Int(count))
        }
        return report
    }
}
