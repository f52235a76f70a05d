import CablecarDomain
import CablecarPostgres
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarIngest

/// Intervals written before the interval sums (migration 7) and watermarks written before the
/// partition activity (migration 9) keep working after the upgrade: a correction of an old
/// interval counts everything accepted before it, and old partitions count as active.
@Suite("Interval sums upgrade")
struct IntervalSumsUpgradeTests {
    let t0: EpochMillis = 1_741_017_600_000

    @Test("existing intervals get their sums from their partials; a later reading adds to them")
    func upgradeBackfillsSums() async throws {
        try await IngestHarness.withOldSchema(through: 6) { client, upgrade in
            // Segment s: a loop with two readings (600 and 1200 veh/h, 40 and 50 km/h), a camera with one (1800 veh/h).
            try await client.query(
                """
                INSERT INTO ingest_traffic_partials
                    (segment_id, interval_start, sensor_id, rate_sum, rate_count, speed_sum, speed_count, occupancy_sum, occupancy_count)
                VALUES ('s', \(t0), 'loop-1', 1800, 2, 90, 2, 0.3, 2), ('s', \(t0), 'cam-1', 1800, 1, 0, 0, 0, 0)
                """, logger: TestStack.logger)
            try await client.query(
                "INSERT INTO ingest_traffic_intervals (segment_id, interval_start, neighborhood, dirty, revision) VALUES ('s', \(t0), 'Mission', false, 0)",
                logger: TestStack.logger)
            try await client.query(
                "INSERT INTO ingest_watermarks (stream, max_event_time) VALUES ('traffic|raw.loop:0', \(t0 + 3_600_000))",
                logger: TestStack.logger)

            try await upgrade()

            try await client.withConnection { connection in
                let progress = try await AggregateStore.loadPartitionProgress(on: connection, logger: TestStack.logger)
                let loop = try #require(progress["traffic"]?["raw.loop:0"])
                #expect(loop.newestEventTime == t0 + 3_600_000)
                #expect(loop.activeAt > t0, "rows from before the upgrade count as active at the upgrade")

                // A late loop reading (1800 veh/h, 60 km/h) for the old interval: a correction.
                var late = SensorPartial()
                late.add(
                    .loop(
                        LoopDetectorReading(
                            sensorID: "loop-1", eventTime: t0, intervalSeconds: 60, vehicleCount: 30, occupancy: 0.2, speedKmh: 60)))
                try await AggregateStore.addTraffic(
                    [SensorIntervalKey(segmentID: "s", neighborhood: "Mission", intervalStart: t0, sensorID: "loop-1"): late],
                    on: connection, logger: TestStack.logger)
                let emitted = try await EmissionStore.emitTraffic(
                    watermark: t0 + 3_600_000, now: 0, topic: "obs.traffic",
                    rule: KnowledgeRule(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000), on: connection, logger: TestStack.logger)
                let message = try #require(emitted.first)
                #expect(emitted.count == 1)
                let observation = try WireCodec.decode(TrafficObservation.self, from: message.payload)
                let loopPartial = SensorPartial(
                    rateSum: 3600, rateCount: 3, speedSum: 150, speedCount: 3, occupancySum: 0.5, occupancyCount: 3)
                let camera = SensorPartial(rateSum: 1800, rateCount: 1, speedSum: 0, speedCount: 0, occupancySum: 0, occupancyCount: 0)
                var expected = try #require(
                    TrafficAggregation.observation(
                        segmentID: "s", neighborhood: "Mission", intervalStart: t0, partials: [loopPartial, camera], revision: 1,
                        ingestTime: 0))
                expected.knownAt = t0 + Interval.lengthMillis
                #expect(observation == expected)
                #expect(observation.flowVehiclesPerHour == 1500, "mean of the loop's 1200 and the camera's 1800")
                #expect(observation.sampleCount == 4)
                #expect(observation.speedKmh == 50)
                #expect(observation.revision == 1)
            }
        }
    }
}
