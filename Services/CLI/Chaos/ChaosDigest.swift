import CablecarDomain
import CablecarFeatureClient
import CablecarForecasting
import CablecarLocalStack
import Foundation

/// What a replay left behind, keyed so that two runs can be compared entry by entry.
///
/// Everything is judged, exactly: ingest's accounting per feed; every revision of every traffic
/// and context interval the feature store received, with its availability time and values; the
/// offline feature rows and online vectors; and the fingerprint of the whole replay's training
/// snapshot. A replay is reproducible by design (docs/ingest.md, Reproducible replays), so any
/// difference is a bug.
struct ChaosDigest {
    struct Part {
        let name: String
        let entries: [String: String]
    }

    let parts: [Part]

    static func collect(database: PostgresCluster, ingestPort: Int, featuresPort: Int) async throws -> ChaosDigest {
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
        let traffic = try keyed(
            database.query(
                """
                SELECT segment_id || '@' || event_time || '#' || revision,
                       'available ' || available_at || ': ' || flow || ' ' || coalesce(speed::text, '-') || ' '
                       || coalesce(occupancy::text, '-') || ' ' || sample_count
                FROM feature_traffic_history
                """))
        let context = try keyed(
            database.query(
                """
                SELECT neighborhood || '@' || event_time || '#' || revision,
                       'available ' || available_at || ': ' || coalesce(temperature::text, '-') || ' '
                       || coalesce(precipitation::text, '-') || ' ' || coalesce(visibility::text, '-') || ' ' || active_events || ' '
                       || active_incidents || ' ' || coalesce(transit_delay::text, '-') || ' ' || transit_reports
                FROM feature_context_history
                """))
        let rows = try keyed(database.query("SELECT segment_id || '@' || ts, md5(vals) FROM feature_rows"))
        let online = try keyed(database.query("SELECT segment_id, ts || ' ' || md5(vals) FROM feature_online"))
        return ChaosDigest(parts: [
            Part(name: "ingest accounting per feed", entries: accounting),
            Part(name: "traffic revisions (availability and values)", entries: traffic),
            Part(name: "context revisions (availability and values)", entries: context),
            Part(name: "offline feature rows", entries: rows),
            Part(name: "online feature vectors", entries: online),
            Part(
                name: "training snapshot of the whole replay, and the models fitted on it",
                entries: try await training(featuresPort: featuresPort)),
        ])
    }

    /// The fingerprint the registry would record for a training set of every materialized step,
    /// and the sha256 of the artifacts the trainer's recipe (`FittedModels`) fits on it.
    private static func training(featuresPort: Int) async throws -> [String: String] {
        guard let url = URL(string: "http://127.0.0.1:\(featuresPort)") else { return [:] }
        let client = FeatureClient(baseURL: url, recordSnapshots: false)
        guard let steps = try await client.materializedSteps() else { return [:] }
        let snapshot = try await client.historical(SnapshotRequest(start: steps.lowerBound, end: steps.upperBound + Interval.lengthMillis))
        let models = try FittedModels.fit(snapshot: snapshot, parameters: ModelParameters())
        return [
            "snapshot fingerprint": "\(snapshot.fingerprint) (\(snapshot.rows.count) rows)",
            "ridge artifact sha256": ArtifactCodec.sha256Hex(try models.ridge.artifact()),
            "historical-average artifact sha256": ArtifactCodec.sha256Hex(try models.average.artifact()),
        ]
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

/// One part of two digests side by side, compared exactly.
struct ChaosDifference {
    let name: String
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
                guard let other = actual.entries[key], value != other else { return nil }
                return "\(key): \(value) → \(other)"
            }.sorted()
            return ChaosDifference(name: expected.name, reference: expected.entries.count, missing: missing, extra: extra, changed: changed)
        }
    }

    var rendered: String {
        var lines = [
            "  \(name): \(reference) in the uninterrupted run; \(missing.count) missing, \(extra.count) extra, \(changed.count) changed"
        ]
        for example in (missing.map { "missing \($0)" } + extra.map { "extra \($0)" } + changed).prefix(5) {
            lines.append("      \(example)")
        }
        return lines.joined(separator: "\n")
    }
}
