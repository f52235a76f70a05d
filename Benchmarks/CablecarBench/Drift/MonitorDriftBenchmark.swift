import CablecarDrift
import Foundation

/// `cablecar-bench monitor-drift`: the monitor's drift workload. A reference per neighborhood and
/// feature (what the trainer summarizes) and one window per day, neighborhood and feature (what
/// the monitor compares every hour), drawn from `SplitMix64` so that scripts/monitor-drift-bench.py
/// rebuilds the very same numbers in NumPy for Evidently.
///
/// Data: feature f of neighborhood n is `f + (f + 1)·z` (z from `normalish`); from the middle day
/// on, odd neighborhoods have their first half of the features shifted by half a standard
/// deviation. The last line is `RESULT {json}` with times and every decision.
struct MonitorDriftBenchmark {
    struct Result: Encodable {
        var days: Int
        var neighborhoods: Int
        var features: Int
        var referenceRows: Int
        var windowRows: Int
        var generateSeconds: Double
        var referenceSeconds: Double
        var compareSeconds: Double
        var profileBytes: Int
        var residentMiB: Double
        /// "day|neighborhood|feature" → normalized Wasserstein distance of the window.
        var distances: [String: Double]
    }

    static func referenceSeed(neighborhood: Int, feature: Int) -> UInt64 { UInt64(neighborhood * 1_000 + feature + 1) }
    static func windowSeed(day: Int, neighborhood: Int, feature: Int) -> UInt64 {
        UInt64(1_000_000 + day * 10_000 + neighborhood * 100 + feature)
    }

    static func values(seed: UInt64, count: Int, feature: Int, shift: Bool) -> [Double] {
        var random = SplitMix64(seed: seed)
        let scale = Double(feature + 1)
        let offset = shift ? 0.5 * scale : 0
        return (0..<count).map { _ in Double(feature) + scale * random.normalish() + offset }
    }

    static func shifted(day: Int, days: Int, neighborhood: Int, feature: Int, features: Int) -> Bool {
        neighborhood % 2 == 1 && day >= days / 2 && feature < features / 2
    }

    static func run(days: Int, neighborhoods: Int, features: Int, referenceRows: Int, windowRows: Int) throws {
        var clock = Date()
        var reference: [[[Double]]] = []
        for n in 0..<neighborhoods {
            reference.append(
                (0..<features).map { f in
                    values(seed: referenceSeed(neighborhood: n, feature: f), count: referenceRows, feature: f, shift: false)
                })
        }
        var windows: [[[[Double]]]] = []
        for d in 0..<days {
            windows.append(
                (0..<neighborhoods).map { n in
                    (0..<features).map { f in
                        values(
                            seed: windowSeed(day: d, neighborhood: n, feature: f), count: windowRows, feature: f,
                            shift: shifted(day: d, days: days, neighborhood: n, feature: f, features: features))
                    }
                })
        }
        let generateSeconds = -clock.timeIntervalSinceNow

        // What the trainer does once per model version.
        clock = Date()
        var summaries: [String: [String: QuantileSummary]] = [:]
        for n in 0..<neighborhoods {
            var columns: [String: QuantileSummary] = [:]
            for f in 0..<features { columns["f\(f)"] = QuantileSummary(values: reference[n][f]) }
            summaries["n\(n)"] = columns
        }
        let profile = ReferenceProfile(source: "bench", neighborhoods: summaries)
        let profileBytes = try profile.jsonBytes().count
        let referenceSeconds = -clock.timeIntervalSinceNow

        // What the monitor does per window.
        clock = Date()
        var distances: [String: Double] = [:]
        for d in 0..<days {
            for n in 0..<neighborhoods {
                guard let columns = profile.neighborhoods["n\(n)"] else { continue }
                for f in 0..<features {
                    if let shift = columns["f\(f)"]?.shift(to: windows[d][n][f]) {
                        distances["\(d)|\(n)|\(f)"] = shift.normalizedWasserstein
                    }
                }
            }
        }
        let compareSeconds = -clock.timeIntervalSinceNow
        let result = Result(
            days: days, neighborhoods: neighborhoods, features: features, referenceRows: referenceRows, windowRows: windowRows,
            generateSeconds: generateSeconds, referenceSeconds: referenceSeconds, compareSeconds: compareSeconds,
            profileBytes: profileBytes,
            residentMiB: residentMiB(), distances: distances)
        let windowsCompared = days * neighborhoods * features
        print(
            "generated \(neighborhoods) x \(features) references of \(referenceRows) rows and \(days) days of windows of \(windowRows) rows in \(format(generateSeconds)) s"
        )
        print("reference profile: \(format(referenceSeconds)) s, \(profileBytes) bytes of JSON")
        print(
            "compared \(windowsCompared) windows in \(format(compareSeconds)) s (\(Int(Double(windowsCompared) / max(compareSeconds, 1e-9))) per second); resident \(format(result.residentMiB)) MiB"
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print("RESULT " + String(decoding: try encoder.encode(result), as: UTF8.self))
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }
}
