import CablecarDomain
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarIngest

/// A raw record near the broker's 1 MB limit is refused `oversized` without being parsed, and its
/// dead letter keeps its first 64 KiB: whole, base64 and wrapped, it made a dead letter over the
/// limit, which the broker refuses, and the batch could never be sent.
@Suite("Oversized raw records")
struct OversizedRecordTests {
    @Test func oversizedRecordsAreDeadLetteredWithTheirFirstBytes() async throws {
        let limit = 65_536
        #expect(RecordValidator.maximumRecordBytes == limit, "the documented limit")
        let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
        let values: [[UInt8]] = [
            Array(repeating: UInt8(ascii: "x"), count: 900_000), Array("{\"v\":1,\"pad\":\"".utf8) + Array(repeating: 0x61, count: limit),
            Array("not json".utf8),
        ]
        let records = values.enumerated().map { index, value in
            FeedRecord(topic: .rawLoop, key: Array("hostile-\(index)".utf8), value: value, eventTime: now, publishTime: now)
        }
        try await IngestHarness.with { harness in
            // One by one: batched together, the three exceed what the broker takes in one request.
            for index in records.indices { try await harness.publish(records[index...index]) }
            let pipeline = try harness.pipeline()
            let run = Task { try await pipeline.run() }
            defer { run.cancel() }
            try await harness.waitUntilProcessed(records.count, timeout: .seconds(120))
            let letters = try await harness.drain(.rejected).map { try WireCodec.decode(RejectedRecord.self, from: $0) }
            #expect(letters.count == records.count, "one dead letter per record: \(letters.map(\.reason))")
            #expect(letters.filter { $0.reason == .oversized }.count == 2)
            #expect(letters.filter { $0.reason == .malformedJSON }.count == 1)
            #expect(letters.contains { $0.reason == .oversized && $0.detail.contains("900000 bytes") }, "\(letters.map(\.detail))")
            for letter in letters where letter.reason == .oversized {
                #expect(Data(base64Encoded: letter.original)?.count == limit)
            }
            let rejected = try await harness.scalar(
                "SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts WHERE outcome = 'rejected'")
            #expect(rejected == Int64(records.count))
        }
    }
}
