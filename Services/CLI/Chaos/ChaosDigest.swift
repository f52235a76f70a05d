import CablecarLocalStack
import Foundation

/// What a replay left behind, keyed so that two runs can be compared entry by entry.
///
/// Judged (must be identical with and without faults): ingest's accounting per feed, and the
/// newest revision of every traffic and context interval the feature store received. Reported
/// only: the offline feature rows, whose availability times still depend on the order in which
/// partitions happened to arrive (docs/features.md, Availability), so two uninterrupted replays
/// differ there too.
struct ChaosDigest {
    struct Part {
        let name: String
        let judged: Bool
        let entries: [String: String]
    }

    let parts: [Part]

    static func collect(database: PostgresCluster, ingestPort: Int) async throws -> ChaosDigest {
        let (status, body) = try await HTTPGet.fetch("http://127.0.0.1:\(ingestPort)/api/v1/accounting", timeout: 30)
        guard status == 200 else { throw ValidationErrorText("ingest answered \(status) for its accounting") }
        let report = try JSONDecoder().decode(AccountingReport.self, from: body)
        var accounting: [String: String] = [:]
        for (feed, counts) in report.feeds {
            let reasons = counts.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            accounting[feed] =
                "received \(counts.received), accepted \(counts.accepted), rejected \(counts.rejected) (\(reasons)), "
                + "duplicate \(counts.duplicate)"
        }
        // Values rounded: sums added in another order (other batch boundaries) may differ in the last bit.
        let traffic = try keyed(
            database.query(
                """
                SELECT DISTINCT ON (segment_id, event_time) segment_id || '@' || event_time,
                       round(flow::numeric, 6) || ' ' || coalesce(round(speed::numeric, 6)::text, '-') || ' '
                       || coalesce(round(occupancy::numeric, 6)::text, '-') || ' ' || sample_count
                FROM feature_traffic_history ORDER BY segment_id, event_time, revision DESC
                """))
        let context = try keyed(
            database.query(
                """
                SELECT DISTINCT ON (neighborhood, event_time) neighborhood || '@' || event_time,
                       coalesce(round(temperature::numeric, 6)::text, '-') || ' ' || coalesce(round(precipitation::numeric, 6)::text, '-')
                       || ' ' || coalesce(round(visibility::numeric, 6)::text, '-') || ' ' || active_events || ' ' || active_incidents
                       || ' ' || coalesce(round(transit_delay::numeric, 6)::text, '-') || ' ' || transit_reports
                FROM feature_context_history ORDER BY neighborhood, event_time, revision DESC
                """))
        let rows = try keyed(database.query("SELECT segment_id || '@' || ts, md5(vals) FROM feature_rows"))
        return ChaosDigest(parts: [
            Part(name: "ingest accounting per feed", judged: true, entries: accounting),
            Part(name: "traffic intervals, newest revision", judged: true, entries: traffic),
            Part(name: "context intervals, newest revision", judged: true, entries: context),
            Part(name: "offline feature rows (availability follows arrival order)", judged: false, entries: rows),
        ])
    }

    private static func keyed(_ lines: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for line in lines {
            guard let bar = line.firstIndex(of: "|") else { continue }
            result[String(line[..<bar])] = String(line[line.index(after: bar)...])
        }
        return result
    }
}

/// One part of two digests side by side; values compared by `sameValues`.
struct ChaosDifference {
    let name: String
    let judged: Bool
    let reference: Int
    let missing: [String]
    let extra: [String]
    let changed: [String]

    var count: Int { missing.count + extra.count + changed.count }

    static func compare(_ reference: ChaosDigest, _ faulted: ChaosDigest) -> [ChaosDifference] {
        zip(reference.parts, faulted.parts).map { expected, actual in
            let missing = expected.entries.keys.filter { actual.entries[$0] == nil }.sorted()
            let extra = actual.entries.keys.filter { expected.entries[$0] == nil }.sorted()
            let changed = expected.entries.compactMap { key, value -> String? in
                guard let other = actual.entries[key], !sameValues(value, other) else { return nil }
                return "\(key): \(value) → \(other)"
            }.sorted()
            return ChaosDifference(
                name: expected.name, judged: expected.judged, reference: expected.entries.count, missing: missing, extra: extra,
                changed: changed)
        }
    }

    /// Field by field: integers and text exactly, other numbers within 0.1 % (at least 0.001).
    /// Ingest rounds its means (speed to 0.01, occupancy to 0.0001) from sums that another split
    /// of the stream into batches adds in another order, so the last digit can differ between
    /// two uninterrupted runs; a reading lost or counted twice moves the sample count.
    static func sameValues(_ expected: String, _ actual: String) -> Bool {
        let left = expected.split(separator: " ")
        let right = actual.split(separator: " ")
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { a, b in
            if a == b { return true }
            guard a.contains("."), b.contains("."), let x = Double(a), let y = Double(b) else { return false }
            return abs(x - y) <= 0.001 * max(abs(x), abs(y), 1)
        }
    }

    var rendered: String {
        var lines = [
            "  \(name): \(reference) in the uninterrupted run; \(missing.count) missing, \(extra.count) extra, \(changed.count) changed"
                + (judged ? "" : " (reported, not judged)")
        ]
        for example in (missing.map { "missing \($0)" } + extra.map { "extra \($0)" } + changed).prefix(5) {
            lines.append("      \(example)")
        }
        return lines.joined(separator: "\n")
    }
}
