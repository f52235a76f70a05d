import CablecarDomain
import CablecarKafka
import Foundation
import Logging

/// Compares what the raw topics hold with what ingest has accounted for, until they agree.
struct IngestProgress {
    let brokers: String
    let ingestPort: Int

    func rawTotal() async throws -> Int {
        var logger = Logger(label: "cablecar")
        logger.logLevel = .error
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(brokers: brokers, clientID: "cablecar-cli"), logger: logger)
        var total = 0
        for topic in Topic.rawFeeds {
            total += Int(try await admin.endOffsets(of: topic.rawValue).values.reduce(0, +))
        }
        return total
    }

    /// Returns ingest's accounting report once it has accounted for at least what the raw topics
    /// hold and its count has stopped moving (the broker's end offsets can lag its last batch).
    func waitUntilCaughtUp(timeout: Duration = .seconds(1800)) async throws -> String {
        let expected = try await rawTotal()
        let deadline = ContinuousClock.now + timeout
        var lastReceived = -1
        var unchangedPolls = 0
        while ContinuousClock.now < deadline {
            let (status, body) = try await HTTPGet.fetch("http://127.0.0.1:\(ingestPort)/api/v1/accounting")
            guard status == 200 else { throw ValidationErrorText("ingest answered \(status) for its accounting") }
            let report = try JSONDecoder().decode(AccountingReport.self, from: body)
            if report.totalReceived == lastReceived {
                unchangedPolls += 1
                if report.totalReceived >= expected && unchangedPolls >= 3 { return report.rendered() }
            } else {
                print("  ingest has accounted for \(report.totalReceived) raw records (the topics report at least \(expected))")
                lastReceived = report.totalReceived
                unchangedPolls = 0
            }
            try await Task.sleep(for: .seconds(2))
        }
        throw ValidationErrorText("ingest did not catch up within \(timeout)")
    }
}
