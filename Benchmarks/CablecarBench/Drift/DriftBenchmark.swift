import CablecarDrift
import Foundation

/// `cablecar-bench drift`: times the drift library and the `drift compare` path end to end.
///
/// With `referencePath`/`currentPath` (as scripts/bench-drift passes them, so that scipy and
/// Evidently see the very same files) it reads those CSVs; otherwise it generates `rows` rows per
/// side with `features` numerical features and `groups` groups, the current side shifted in every
/// other group, and writes them to a temporary directory first. The last line is
/// `RESULT {json}` for scripts.
struct DriftBenchmark {
    static func run(
        rows: Int, features: Int, groups: Int,
        referencePath: String? = nil, currentPath: String? = nil
    ) async throws {
        let reference: String
        let current: String
        if let referencePath, let currentPath {
            reference = referencePath
            current = currentPath
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cablecar-bench-drift-\(getpid())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            reference = directory.appendingPathComponent("reference.csv").path
            current = directory.appendingPathComponent("current.csv").path
            let started = Date()
            try writeCSV(path: reference, rows: rows, features: features, groups: groups, seed: 1, shifted: false)
            try writeCSV(path: current, rows: rows, features: features, groups: groups, seed: 2, shifted: true)
            print("generated \(rows) rows × \(features) features × \(groups) groups per side in \(seconds(since: started)) s")
        }
        let columns = ColumnRequest(groupColumn: "group")

        // Library: load (parse + split by group + sort) both sides, then compare.
        var clock = Date()
        async let referenceLoad = CSVDatasetLoader.load(path: reference, request: columns)
        async let currentLoad = CSVDatasetLoader.load(path: current, request: columns)
        let (referenceData, currentData) = try await (referenceLoad, currentLoad)
        let loadSeconds = seconds(since: clock)
        clock = Date()
        let report = await DriftComparison.compare(reference: referenceData.profile, current: currentData.profile)
        let compareSeconds = seconds(since: clock)

        // Statistics alone on in-memory profiles, per group and feature, as scipy is timed.
        clock = Date()
        _ = await DriftComparison.compare(
            reference: referenceData.profile, current: currentData.profile,
            features: referenceData.features.map { FeatureSpec(name: $0.name, kind: $0.kind, test: .ks) })
        let ksSeconds = seconds(since: clock)

        // End to end: what `cablecar drift compare --format json --output FILE` does.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cablecar-bench-drift-\(getpid()).json").path
        clock = Date()
        let endToEnd = try await DriftCompareRunner.run(
            .init(
                referencePath: reference, currentPath: current, columns: columns, format: .json, outputPath: output, showProgress: false))
        let endToEndSeconds = seconds(since: clock)
        try? FileManager.default.removeItem(atPath: output)

        let featureCount = referenceData.features.count
        let groupCount = report.groups.count
        print("rows: \(referenceData.rowCount) reference, \(currentData.rowCount) current; \(featureCount) features; \(groupCount) groups")
        print("load (parse, split by group, sort), both files in parallel: \(format(loadSeconds)) s")
        print("compare with default tests (\(report.groups.first?.features.first?.test.rawValue ?? "-")): \(format(compareSeconds)) s")
        print("compare with KS on every feature: \(format(ksSeconds)) s")
        print("end to end (drift compare, JSON report): \(format(endToEndSeconds)) s")
        print("drifted groups: \(endToEnd.report.driftedGroups) of \(groupCount)")
        var decisions: [String: [String: Bool]] = [:]
        for g in report.groups {
            decisions[g.group] = Dictionary(uniqueKeysWithValues: g.features.compactMap { f in f.drifted.map { (f.feature, $0) } })
        }
        let summary: [String: Any] = [
            "load_seconds": loadSeconds, "compare_seconds": compareSeconds, "ks_compare_seconds": ksSeconds,
            "library_seconds": loadSeconds + compareSeconds, "end_to_end_seconds": endToEndSeconds,
            "decisions": decisions,
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        print("RESULT " + String(decoding: json, as: UTF8.self))
    }

    /// Generated data: Irwin–Hall normals, one column per feature; in shifted groups (every other
    /// one) the first half of the features move by 0.3 standard deviations.
    static func writeCSV(path: String, rows: Int, features: Int, groups: Int, seed: UInt64, shifted: Bool) throws {
        var rng = SplitMix64(seed: seed)
        var text = "group," + (0..<features).map { "f\($0)" }.joined(separator: ",") + "\n"
        text.reserveCapacity(rows * (features * 8 + 8))
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        for row in 0..<rows {
            let group = row % groups
            text += "g\(group)"
            for f in 0..<features {
                var x = rng.normalish() * Double(f + 1) + Double(f)
                if shifted && group % 2 == 1 && f < features / 2 { x += 0.3 * Double(f + 1) }
                text += ","
                appendFixed4(x, to: &text)
            }
            text += "\n"
            if text.utf8.count > 1 << 22 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }

    /// Four decimals without `String(format:)`, which dominates generation time otherwise.
    static func appendFixed4(_ x: Double, to text: inout String) {
        let scaled = Int64((x * 10_000).rounded())
        let magnitude = scaled.magnitude
        if scaled < 0 { text += "-" }
        text += String(magnitude / 10_000)
        let fraction = String(magnitude % 10_000)
        text += "." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    private static func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }
    private static func format(_ s: Double) -> String { String(format: "%.3f", s) }
}
