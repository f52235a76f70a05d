import CablecarImport
import Foundation

/// The loop's feed when it runs on real detector history (`cablecar run --import-readings`):
/// `cablecar-sim import` as a child process publishes the readings to `raw.loop` in place of the
/// simulator's replay and writes the city they make; ingest, the feature store and the trainer
/// are then pointed at that city (their `CABLECAR_*_CITY` variables) and its time zone.
struct ImportStep {
    let readings: String
    let mapping: String
    let timeZone: String
    let cityName: String
    /// Where the generated city, the counts and the rejected rows are written.
    let directory: URL

    var cityFile: URL { directory.appendingPathComponent("imported-city.json") }
    var countsFile: URL { directory.appendingPathComponent("import-summary.json") }
    var rejectionsFile: URL { directory.appendingPathComponent("import-rejections.csv") }

    /// What the services need to see the imported city. No ingest setting changes: the importer
    /// publishes every message at its interval's start, on time with the default lateness.
    var serviceEnvironment: [String: String] {
        [
            "CABLECAR_INGEST_CITY": cityFile.path, "CABLECAR_FEATURES_CITY": cityFile.path,
            "CABLECAR_FORECAST_CITY": cityFile.path, "CABLECAR_TRAINER_TIME_ZONE": timeZone,
        ]
    }

    /// The targets worth training: flow only when no row carried a measured speed (the importer
    /// sends the free-flow speed in its place).
    static func targets(_ counts: ImportCounts) -> [String] {
        counts.hasSpeed ? ["speed_kmh", "flow_veh_h"] : ["flow_veh_h"]
    }

    /// Publishes the readings to the broker and returns the importer's counts.
    func run(children: ChildProcesses, brokers: String, environment: [String: String]) throws -> ImportCounts {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: countsFile)
        let arguments = [
            "import", "--readings", readings, "--mapping", mapping, "--time-zone", timeZone, "--city-name", cityName,
            "--city-out", cityFile.path, "--summary-out", countsFile.path, "--rejections-out", rejectionsFile.path,
            "--brokers", brokers,
        ]
        try children.runToCompletion("cablecar-sim", arguments: arguments, environment: environment)
        guard let data = FileManager.default.contents(atPath: countsFile.path) else {
            throw ValidationErrorText("cablecar-sim import wrote no counts to \(countsFile.path)")
        }
        let counts = try JSONDecoder().decode(ImportCounts.self, from: data)
        guard counts.rowsProduced > 0 else {
            throw ValidationErrorText(
                "no row of \(readings) could be imported (\(counts.rowsRejected) rejected; reasons in \(rejectionsFile.path))")
        }
        return counts
    }
}
