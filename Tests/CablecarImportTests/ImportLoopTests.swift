import CablecarDomain
import CablecarForecasting
import CablecarImport
import CablecarTestSupport
import Foundation
import Testing

/// Real detector history through the whole loop, every service a process on the test stack's
/// Postgres and broker: eight days of the ODOT dataset plus hostile rows → `cablecar-sim import`
/// → raw.loop → ingest → features → training → evaluation of flow against both baselines.
/// Fails (never skips) when the dataset, the executables or the servers are missing.
@Suite("Imported detector history through the loop", .serialized)
struct ImportLoopTests {
    static let days = 8
    static let hostileRows = [
        "odot-85-1,2024-04-20T10:00:00-07:00,900,lots,85",  // unparseable count
        "odot-85-999,2024-04-20T10:00:00-07:00,900,12,85",  // unknown detector
        "odot-85-2,2024-04-20T10:00:00-07:00,900,-3,85",  // negative count
        "odot-85-3,2024-04-20 10:00,900,12,85",  // no offset
        "odot-85-4,2024-04-20T10:07:00-07:00,900,12,85",  // not on a quarter hour
        "odot-85-5,2024-04-20T10:00:00-07:00,900,12",  // a field short
    ]
    static let expectedRejections = [
        "unparseable": 2, "unknown_detector": 1, "out_of_range": 2, "wrong_field_count": 1, "duplicate": 1,
    ]

    @Test func realCountsAreIngestedFeaturizedTrainedAndEvaluatedAgainstBothBaselines() async throws {
        let work = try TestStack.temporaryDirectory(prefix: "import-loop")
        let (readings, realRows) = try Self.sliceWithHostileRows(into: work)
        let mapping = RealDatasetTests.datasetDirectory().appendingPathComponent("mapping.csv")
        let endpoints = try await TestStack.shared.endpoints()
        let platform = try ImportPlatform(
            brokers: endpoints.kafkaBrokers, database: try await TestStack.shared.freshDatabaseURL(),
            city: work.appendingPathComponent("city.json"))

        let counts = try await platform.importReadings(readings: readings, mapping: mapping, work: work)
        #expect(counts.rowsRead == counts.rowsProduced + counts.rowsRejected)
        #expect(counts.rejectedByReason == Self.expectedRejections)
        #expect(counts.rowsProduced == realRows, "every real row is produced, and only those")
        #expect(counts.messages == 3 * counts.rowsProduced)
        #expect(!counts.hasSpeed)
        let rejections = try String(contentsOf: work.appendingPathComponent("rejections.csv"), encoding: .utf8)
        #expect(rejections.contains("unknown_detector,\"detector odot-85-999 is not in the mapping file\""))
        #expect(rejections.contains("unparseable,\"count lots is not a whole number\""))

        var processes = try await platform.start([("cablecar-ingest", platform.ingestPort)])
        defer { for process in processes where process.process.isRunning { process.process.terminate() } }
        let accounting = try await platform.waitForIngest(messages: counts.messages)
        #expect(accounting.received == counts.messages)
        #expect(accounting.accepted + accounting.rejected + accounting.duplicate == accounting.received)
        #expect(accounting.accepted == counts.messages, "ingest dead-lettered \(accounting.rejectedByReason)")
        let emitted = try await platform.waitForEmission()
        #expect(emitted > 0)
        processes += try await platform.start([
            ("cablecar-features", platform.featuresPort), ("cablecar-trainer", platform.trainerPort),
        ])

        let lastMessage = try #require(counts.lastEventTime)
        let (from, until) = try await platform.waitForFeatures(reaching: lastMessage - 30 * 60_000)
        #expect(until - from >= EpochMillis(Self.days - 1) * 86_400_000)
        let outcome = try await platform.train(from: from, until: until, targets: ["flow_veh_h"])
        let report = outcome.evaluation
        #expect(report.targets == [.flow])
        #expect(report.horizons == [15, 30, 60])
        for horizon in report.horizons {
            for role in [ModelRole.candidate, .historicalAverage, .persistence] {
                let errors = report.errors(role, .flow, horizon)
                #expect((errors?.count ?? 0) > 100, "\(role) at \(horizon) min scored \(errors?.count ?? 0) examples")
                #expect(errors?.mae.map(\.isFinite) == true, "\(role) flow MAE at \(horizon) min: \(String(describing: errors?.mae))")
            }
        }
        #expect(!outcome.verdict.checks.isEmpty)
        for process in processes { #expect(process.process.isRunning, "a service exited during the run") }
        for process in processes { try await process.stop() }
    }

    /// The first `days` days of the real dataset, then the hostile rows and a repeated line; the
    /// file and its number of real rows.
    static func sliceWithHostileRows(into directory: URL) throws -> (URL, Int) {
        let text = try RealDatasetTests.read("readings.csv")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst()
        let lastDay = "2024-04-\(17 + days)"
        let kept = lines.filter { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields.count > 1 && String(fields[1].prefix(10)) <= lastDay
        }
        guard let first = kept.first else { throw TestFailure("the dataset has no rows up to \(lastDay)") }
        let url = directory.appendingPathComponent("readings.csv")
        try ([header] + kept + hostileRows + [first]).joined(separator: "\n").appending("\n")
            .write(to: url, atomically: true, encoding: .utf8)
        return (url, kept.count)
    }
}
