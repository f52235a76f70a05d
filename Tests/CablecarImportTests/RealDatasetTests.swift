import CablecarDomain
import Foundation
import Testing

@testable import CablecarImport

/// The real detector counts `scripts/fetch-dataset odot-signal-85` writes (traffic-anomaly 2.5.4,
/// MIT; `scripts/bootstrap` runs it). Missing files fail the test: it never skips.
@Suite struct RealDatasetTests {
    static func datasetDirectory() -> URL {
        if let dir = ProcessInfo.processInfo.environment["CABLECAR_IMPORT_DATASET_DIR"] { return URL(fileURLWithPath: dir) }
        let home =
            ProcessInfo.processInfo.environment["CABLECAR_HOME"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".cablecar").path
        return URL(fileURLWithPath: home).appendingPathComponent("datasets/odot-signal-85")
    }

    static func read(_ name: String) throws -> String {
        let url = datasetDirectory().appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("\(url.path) is missing: run scripts/fetch-dataset odot-signal-85 (scripts/bootstrap does)")
            throw CocoaError(.fileNoSuchFile)
        }
        return text
    }

    @Test func everyRowOfTheRealDatasetBecomesMessagesAndTheCountsAddUp() throws {
        let mapping = try DetectorMapping(csv: Self.read("mapping.csv"))
        let city = try ImportedCity.make(name: "ODOT signal 85", timeZone: "America/Los_Angeles", mapping: mapping)
        #expect(city.sensors.count == 22)
        #expect(city.neighborhoods.map(\.id) == ["odot-signal-85"])
        let readings = try ReadingsImport(csv: Self.read("readings.csv"), mapping: mapping)
        #expect(readings.rowsRead == 54_824)
        #expect(readings.rows.count + readings.rejections.count == readings.rowsRead)
        #expect(readings.rejections.isEmpty, "\(readings.rejections.prefix(5))")
        let feed = try ImportedFeed(readings, mapping: mapping)
        #expect(feed.records.count == 3 * readings.rows.count)
        #expect(feed.rowsWithoutSpeed == readings.rows.count)
        // Readings of 2024-04-18T00:00-07:00 to the last quarter hour of 2024-05-13 local time,
        // each held over the three five-minute intervals after its end.
        let first = try #require(feed.records.map(\.eventTime).min())
        let last = try #require(feed.records.map(\.eventTime).max())
        #expect(first == EpochMillis(1_713_423_600_000 + 900_000))
        #expect(last == EpochMillis(1_715_669_100_000 + 900_000 + 600_000))
    }
}
