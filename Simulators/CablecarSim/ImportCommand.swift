import ArgumentParser
import CablecarDomain
import CablecarImport
import CablecarSimulation
import Foundation

/// `cablecar-sim import`: replays real detector readings (CSV, docs/import.md) through the same
/// sinks as `replay`, so ingest, features and training see them as they see the simulator's.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Publish detector readings from a CSV file to raw.loop (or JSON-lines files), and write their city.",
        discussion: """
            Layouts of both CSV files: docs/import.md. Rows that cannot become a message (unparseable, missing \
            value, unknown detector, out of range, duplicate) are counted and listed with their line and reason; \
            rows read = rows produced + rows rejected. Ingest validates the produced messages like any feed.
            """)

    @Option(help: "Readings CSV: detector_id, interval_start, interval_s (unless --interval), count, [speed_kmh], [occupancy].")
    var readings: String

    @Option(
        help: "Mapping CSV: detector_id, segment_id, neighborhood, [lanes], [free_flow_speed_kmh], [length_m], [upstream], [downstream].")
    var mapping: String

    @Option(help: "Seconds every reading covers, when the readings file has no interval_s column.")
    var interval: Int?

    @Option(help: "Write the city definition generated from the mapping here (for --city / CABLECAR_INGEST_CITY).")
    var cityOut: String?

    @Option(help: "Name of the generated city.")
    var cityName = "Imported detectors"

    @Option(help: "IANA time zone of the generated city (calendar features use local time).")
    var timeZone = "UTC"

    @Option(help: "Write every rejected row (line, reason, detail) to this CSV file.")
    var rejectionsOut: String?

    @Option(help: "Write the counts (rows read, produced, rejected by reason, messages, speed present) to this JSON file.")
    var summaryOut: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let interval, !IntervalPlan.accepts(interval) {
            throw ValidationError("--interval must be \(IntervalPlan.expectation)")
        }
    }

    func run() async throws {
        let map = try DetectorMapping(csv: try Self.read(mapping, what: "mapping"))
        let city = try ImportedCity.make(name: cityName, timeZone: timeZone, mapping: map)
        if let cityOut {
            try ImportedCity.json(city).write(to: URL(fileURLWithPath: cityOut))
        }
        let rows = try ReadingsImport(csv: try Self.read(readings, what: "readings"), mapping: map, fixedIntervalSeconds: interval)
        let feed = try ImportedFeed(rows, mapping: map)
        let sink = try await makeSink(output)
        let batch = 5_000
        var index = 0
        while index < feed.records.count {
            let end = min(index + batch, feed.records.count)
            try await sink.publish(Array(feed.records[index..<end]))
            index = end
        }
        try await sink.finish()
        if let rejectionsOut {
            try Data(ImportSummary.rejectionsCSV(rows.rejections).utf8).write(to: URL(fileURLWithPath: rejectionsOut))
        }
        if let summaryOut {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(ImportCounts(readings: rows, feed: feed, city: city)).write(to: URL(fileURLWithPath: summaryOut))
        }
        print(ImportSummary(readings: rows, feed: feed, city: city, destination: output.destinationDescription).text)
        if let resent = (sink as? KafkaFeedSink)?.resentSummary { print(resent) }
    }

    static func read(_ path: String, what: String) throws -> String {
        do {
            return try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the \(what) file \(path) as UTF-8 text: \(error.localizedDescription)")
        }
    }
}
