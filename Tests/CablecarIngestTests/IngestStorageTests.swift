import CablecarDomain
import CablecarPostgres
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarIngest

/// The storage pieces behind ingest's throughput, against a real Postgres: packed outbox rows
/// (and the single-message rows written before them), duplicate buckets that leave memory and
/// come back, and event updates merged within a batch.
@Suite("Ingest storage")
struct IngestStorageTests {
    /// Keys are bytes: a dead letter carries its source message's key as it came (not UTF-8, or
    /// none at all), and an empty key is not the same as none.
    @Test("packing keeps every key (absent, empty, not UTF-8) and payload; damaged or miscounted rows are refused with a reason")
    func outboxPackingRoundTrip() throws {
        let messages: [OutboxPacking.Entry] = [
            (Array("seg-1".utf8), Array(#"{"v":1}"#.utf8)), ([], []), (Array("Mission ñ".utf8), Array(repeating: 0xFF, count: 70_000)),
            (nil, Array("no key".utf8)), ([0xFF, 0xFE, 0x00, 0xC3], Array("not UTF-8".utf8)),
        ]
        let packed = OutboxPacking.pack(messages)
        let unpacked = try OutboxPacking.unpack(packed, count: messages.count)
        #expect(unpacked.map(\.key) == messages.map(\.key))
        #expect(unpacked.map(\.payload) == messages.map(\.payload))
        #expect(throws: IngestStorageError.self) { try OutboxPacking.unpack(packed, count: 2) }
        #expect(throws: IngestStorageError.self) { try OutboxPacking.unpack(Array(packed.dropLast()), count: messages.count) }
        #expect(throws: IngestStorageError.self) { try OutboxPacking.unpack(packed + [0, 0], count: messages.count) }
        // A payload length that claims the absent-key marker is a damaged row, not a message.
        #expect(throws: IngestStorageError.self) { try OutboxPacking.unpack([0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], count: 1) }
    }

    @Test("emitted observations go out oldest interval first, so each partition carries them in event-time order")
    func emissionsAreInEventTimeOrder() {
        let step = Interval.lengthMillis
        let base: EpochMillis = 1_741_000_000_000 / step * step
        // As a heap scan returns them: segment by segment, each over several intervals.
        var due: [EmissionStore.Due] = []
        for segment in ["seg-2", "seg-1"] {
            for k in [2, 0, 1] { due.append((base + EpochMillis(k) * step, 0, (segment, Array("\(segment)@\(k)".utf8)))) }
        }
        // A final revision of an old interval, listed first, and one due with the on-time revision.
        due.insert((base + 1 * step, 1, ("seg-1", Array("seg-1@1 final".utf8))), at: 0)
        due.append((base - 30 * step, 1, ("seg-2", Array("seg-2@-30 final".utf8))))
        let ordered = EmissionStore.inEventTimeOrder(due).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(ordered == ["seg-2@-30 final", "seg-1@0", "seg-2@0", "seg-1@1", "seg-1@1 final", "seg-2@1", "seg-1@2", "seg-2@2"])
    }

    @Test("rows from before packing and packed rows are both pending, in commit order, until deleted")
    func pendingOutboxAcrossTheUpgrade() async throws {
        try await IngestHarness.withOldSchema(through: 9) { client, upgrade in
            try await client.query(
                "INSERT INTO ingest_outbox (topic, message_key, payload) VALUES ('obs.traffic', 'old-seg', \(ByteBuffer(string: "old")))",
                logger: TestStack.logger)
            try await upgrade()
            let written = try await client.withTransaction(logger: TestStack.logger) { connection in
                try await EmissionStore.writeOutbox(
                    [
                        ("obs.traffic", [(Array("s1".utf8), Array("a".utf8)), (Array("s2".utf8), Array("b".utf8))]), ("obs.context", []),
                        ("obs.context", [(Array("Mission".utf8), Array("c".utf8))]),
                    ],
                    on: connection, logger: TestStack.logger)
            }
            #expect(written.map(\.key) == ["s1", "s2", "Mission"].map { Array($0.utf8) })
            #expect(written[0].id == written[1].id, "one row per topic")
            #expect(written[0].id != written[2].id)
            let rows = try await client.query("SELECT count(*) FROM ingest_outbox", logger: TestStack.logger).decode(Int64.self)
                .reduce(0, +)
            #expect(rows == 3, "the old row and one packed row per topic with messages")

            let pending = try await EmissionStore.pendingOutbox(on: client, logger: TestStack.logger)
            #expect(pending.map(\.key) == ["old-seg", "s1", "s2", "Mission"].map { Array($0.utf8) })
            #expect(pending.map { String(decoding: $0.payload, as: UTF8.self) } == ["old", "a", "b", "c"])
            #expect(pending.map(\.topic) == ["obs.traffic", "obs.traffic", "obs.traffic", "obs.context"])

            try await EmissionStore.deleteOutbox(pending.map(\.id), on: client, logger: TestStack.logger)
            #expect(try await EmissionStore.pendingOutbox(on: client, logger: TestStack.logger).isEmpty)
        }
    }

    @Test("a duplicate of a bucket evicted from memory is still a duplicate: the bucket is read back")
    func evictedBucketsAreReadBack() async throws {
        try await IngestHarness.withOldSchema(through: Int.max) { client, _ in
            let hour: EpochMillis = 3_600_000
            let old = LedgerUpgradeTests.loop("LD-1", at: 0)
            var index = DedupIndex()
            func admit(_ records: [AcceptedRecord]) async throws -> [Bool] {
                try await client.withTransaction(logger: TestStack.logger) { connection in
                    try await index.admit(records, on: connection, logger: TestStack.logger)
                }
            }
            let first = try await admit([old])
            #expect(first == [true])
            // Newer readings move the loop feed on by far more than the retention, and for more
            // admissions than keep an unused bucket loaded.
            for step in 1...(DedupIndex.recentAdmissions + 2) {
                let newer = try await admit([LedgerUpgradeTests.loop("LD-1", at: 10 * hour + EpochMillis(step) * 60_000)])
                #expect(newer == [true])
                index.evict(retention: hour)
            }
            #expect(!index.isLoaded(DedupIndex.bucket(of: old)), "the old bucket left memory")
            let again = try await admit([old, LedgerUpgradeTests.loop("LD-2", at: 0)])
            #expect(again == [false, true])
        }
    }

    @Test("an event started and ended within one batch keeps both times; later batches add to them")
    func eventUpdatesMergeWithinABatch() async throws {
        try await IngestHarness.withOldSchema(through: Int.max) { client, _ in
            func event(_ id: String, _ status: CityEvent.Status, at time: EpochMillis) -> CityEvent {
                CityEvent(
                    eventID: id, kind: .collision, status: status, eventTime: time, neighborhood: "Mission", segments: ["S-1"],
                    startsAt: time,
                    endsAt: nil)
            }
            try await client.withTransaction(logger: TestStack.logger) { connection in
                try await AggregateStore.recordEvents(
                    [
                        (event("E-1", .started, at: 100), 110), (event("E-2", .started, at: 150), nil),
                        (event("E-1", .cleared, at: 200), 210),
                    ],
                    on: connection, logger: TestStack.logger)
            }
            try await client.withTransaction(logger: TestStack.logger) { connection in
                try await AggregateStore.recordEvents([(event("E-2", .ended, at: 300), 320)], on: connection, logger: TestStack.logger)
            }
            let rows = try await client.query(
                "SELECT event_id, started_at, ended_at, started_published, ended_published FROM ingest_city_events ORDER BY event_id",
                logger: TestStack.logger)
            var times: [String: (Int64?, Int64?)] = [:]
            var published: [String: (Int64?, Int64?)] = [:]
            for try await (id, started, ended, startedPublished, endedPublished) in rows.decode(
                (String, Int64?, Int64?, Int64?, Int64?).self)
            {
                times[id] = (started, ended)
                published[id] = (startedPublished, endedPublished)
            }
            #expect(times.count == 2)
            #expect(times["E-1"]?.0 == 100 && times["E-1"]?.1 == 200)
            #expect(times["E-2"]?.0 == 150 && times["E-2"]?.1 == 300)
            #expect(published["E-1"]?.0 == 110 && published["E-1"]?.1 == 210, "each update keeps its own publish time")
            #expect(published["E-2"]?.0 == nil && published["E-2"]?.1 == 320, "an update without a timestamp is known from the start")
        }
    }
}
