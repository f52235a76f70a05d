import CablecarDomain
import CablecarSimulation

/// The `raw.loop` records of an import, in publish-time order, for any `FeedSink` (the
/// simulator's Kafka and JSON-lines sinks). Missing speed is sent as the segment's free-flow
/// speed and missing occupancy as 0, since the wire format requires both; docs/import.md says
/// what that means for the speed target.
public struct ImportedFeed: Sendable {
    public let records: [FeedRecord]
    /// Rows that became records (a long reading gives one record per five-minute interval after it, `IntervalPlan`).
    public let rowsProduced: Int
    public let rowsWithoutSpeed: Int

    public init(_ readings: ReadingsImport, mapping: DetectorMapping) throws {
        let speedOf = Dictionary(uniqueKeysWithValues: mapping.segments.map { ($0.id, $0.freeFlowSpeedKmh) })
        var records: [FeedRecord] = []
        var withoutSpeed = 0
        for row in readings.rows {
            if row.speedKmh == nil { withoutSpeed += 1 }
            for placement in IntervalPlan.placements(start: row.intervalStart, intervalSeconds: row.intervalSeconds) {
                let reading = LoopDetectorReading(
                    sensorID: row.detectorID, eventTime: placement.eventTime, intervalSeconds: row.intervalSeconds, vehicleCount: row.count,
                    occupancy: row.occupancy ?? 0,
                    speedKmh: row.speedKmh ?? speedOf[row.segmentID] ?? DetectorMapping.defaultFreeFlowSpeedKmh)
                records.append(
                    FeedRecord(
                        topic: .rawLoop, key: Array(row.segmentID.utf8), value: try reading.wireBytes(),
                        eventTime: placement.eventTime, publishTime: placement.publishTime))
            }
        }
        records.sort { ($0.publishTime, $0.eventTime) < ($1.publishTime, $1.eventTime) }
        self.records = records
        rowsProduced = readings.rows.count
        rowsWithoutSpeed = withoutSpeed
    }
}
