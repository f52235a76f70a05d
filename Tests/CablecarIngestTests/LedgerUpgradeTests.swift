import CablecarDomain
import CablecarPostgres
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarIngest

/// A database written by the per-message ledger (migrations 1-2) keeps its accounting, its
/// redelivery detection and its idempotency keys after the compact ledger (migration 3).
@Suite("Ledger upgrade")
struct LedgerUpgradeTests {
    @Test("per-message ledger rows become ranges, counts and digests; nothing is lost or double-counted")
    func upgradeCarriesLedgerOver() async throws {
        try await IngestHarness.withOldSchema(through: 2) { client, upgrade in
            try await client.query(
                """
                INSERT INTO ingest_ledger (topic, kafka_partition, kafka_offset, feed, outcome, reason, neighborhood, event_time) VALUES
                    ('raw.loop', 0, 0, 'loop', 'accepted', NULL, 'Mission', 1),
                    ('raw.loop', 0, 1, 'loop', 'duplicate', NULL, 'Mission', 1),
                    ('raw.loop', 0, 2, 'loop', 'rejected', 'malformed_json', NULL, NULL),
                    ('raw.loop', 1, 7, 'loop', 'accepted', NULL, 'SoMa', 2),
                    ('raw.gps', 0, 3, 'gps', 'accepted', NULL, 'SoMa', 3)
                """, logger: TestStack.logger)
            try await client.query(
                "INSERT INTO ingest_dedup (feed, idempotency_key) VALUES ('loop', 'LD-1@600000'), ('loop', 'LD-2@900000'), ('events', 'EV-7#started')",
                logger: TestStack.logger)

            try await upgrade()

            let report = try await AccountingReport.load(from: client, logger: TestStack.logger)
            #expect(report.total.received == 5)
            #expect(report.feeds["loop"]?.accepted == 2)
            #expect(report.feeds["loop"]?.duplicate == 1)
            #expect(report.feeds["loop"]?.rejectedByReason == ["malformed_json": 1])
            #expect(report.neighborhoods["SoMa"]?.received == 2)
            #expect(try await LedgerStore.handledCount(on: client, logger: TestStack.logger) == 5)

            try await client.withConnection { connection in
                // Redelivery: every offset up to the highest per partition was handled.
                let positions = [
                    MessagePosition(topic: "raw.loop", partition: 0, offset: 1),
                    MessagePosition(topic: "raw.loop", partition: 0, offset: 2),
                    MessagePosition(topic: "raw.loop", partition: 0, offset: 3),
                    MessagePosition(topic: "raw.loop", partition: 1, offset: 7),
                ]
                let redelivered = try await LedgerStore.redeliveredPositions(positions, on: connection, logger: TestStack.logger)
                #expect(redelivered == [positions[0], positions[1], positions[3]], "offset 3 of raw.loop:0 was never handled")

            }
            let rejectedRows = try await client.query("SELECT count(*) FROM ingest_ledger", logger: TestStack.logger)
                .decode(Int64.self).reduce(0, +)
            #expect(rejectedRows == 1, "only rejections keep a row per message")

            // Keys accepted before the upgrade are still duplicates (the SQL and Swift digests and
            // buckets agree); new keys, and the same key of another feed, are not.
            let records: [AcceptedRecord] = [
                Self.loop("LD-1", at: 600_000), Self.loop("LD-1", at: 630_000), Self.loop("LD-2", at: 900_000),
                Self.loop("LD-2", at: 900_000), .event(Self.event("EV-7", .started)), .event(Self.event("EV-7", .ended)),
            ]
            var index = DedupIndex()
            let verdicts = try await client.withTransaction(logger: TestStack.logger) { connection in
                try await index.admit(records, on: connection, logger: TestStack.logger)
            }
            #expect(verdicts == [false, true, false, false, false, true])
            // A fresh index (a restart) reads the appended digests back.
            var restarted = DedupIndex()
            let again = try await client.withTransaction(logger: TestStack.logger) { connection in
                try await restarted.admit(records, on: connection, logger: TestStack.logger)
            }
            #expect(again == [false, false, false, false, false, false])
        }
    }

    static func loop(_ sensor: String, at time: EpochMillis) -> AcceptedRecord {
        .loop(
            LoopDetectorReading(sensorID: sensor, eventTime: time, intervalSeconds: 30, vehicleCount: 10, occupancy: 0.1, speedKmh: 40),
            segment: "S-1", neighborhood: "Mission")
    }

    static func event(_ id: String, _ status: CityEvent.Status) -> CityEvent {
        CityEvent(
            eventID: id, kind: .collision, status: status, eventTime: 1_000_000, neighborhood: "Mission", segments: ["S-1"],
            startsAt: 1_000_000, endsAt: nil)
    }
}
