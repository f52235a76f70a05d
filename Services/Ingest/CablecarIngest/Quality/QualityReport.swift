import CablecarDomain
import Logging
import PostgresNIO

/// Data quality per sensor and per neighborhood.
///
/// Staleness is measured against the newest event time ingest has seen, not the wall clock:
/// replays run in the past, and "this sensor is 20 minutes behind the rest of the city" is what
/// an operator needs either way.
public struct QualityReport: Codable, Sendable, Equatable {
    public struct SensorRow: Codable, Sendable, Equatable {
        public var sensorID: String
        public var feed: String
        public var segmentID: String
        public var neighborhood: String
        public var readings: Int64
        public var expectedReadings: Int64
        public var completeness: Double
        public var lastEventTime: EpochMillis
        public var stalenessSeconds: Double
        public var stuck: Bool
        public var stuckEpisodes: Int

        enum CodingKeys: String, CodingKey {
            case feed, neighborhood, readings, completeness, stuck
            case sensorID = "sensor_id"
            case segmentID = "segment_id"
            case expectedReadings = "expected_readings"
            case lastEventTime = "last_event_time"
            case stalenessSeconds = "staleness_s"
            case stuckEpisodes = "stuck_episodes"
        }
    }

    public struct NeighborhoodRow: Codable, Sendable, Equatable {
        public var neighborhood: String
        public var sensors: Int
        public var sensorsReporting: Int
        public var completeness: Double
        public var stuckSensors: Int
        public var stalenessSeconds: Double
        public var received: Int
        public var rejectedByReason: [String: Int]
        public var rejectionRate: Double

        enum CodingKeys: String, CodingKey {
            case neighborhood, sensors, completeness, received
            case sensorsReporting = "sensors_reporting"
            case stuckSensors = "stuck_sensors"
            case stalenessSeconds = "max_staleness_s"
            case rejectedByReason = "rejected_by_reason"
            case rejectionRate = "rejection_rate"
        }
    }

    public var referenceTime: EpochMillis?
    public var sensors: [SensorRow]
    public var neighborhoods: [NeighborhoodRow]

    enum CodingKeys: String, CodingKey {
        case sensors, neighborhoods
        case referenceTime = "reference_time"
    }

    public static func load(from client: PostgresClient, catalog: CityCatalog, logger: Logger) async throws -> QualityReport {
        let watermarks = try await AggregateStore.loadWatermarks(on: client, logger: logger)
        let reference = watermarks[Feed.Stream.traffic.rawValue]?.values.max()
        let states = try await QualityStore.load(on: client, logger: logger)
        let sensors = states.values.sorted { $0.sensorID < $1.sensorID }.map { state in
            SensorRow(
                sensorID: state.sensorID, feed: state.feed.rawValue, segmentID: state.segmentID, neighborhood: state.neighborhood,
                readings: state.readings, expectedReadings: state.expectedReadings, completeness: state.completeness,
                lastEventTime: state.lastEventTime,
                stalenessSeconds: Double(max(0, (reference ?? state.lastEventTime) - state.lastEventTime)) / 1000,
                stuck: state.stuck, stuckEpisodes: state.stuckEpisodes)
        }
        let accounting = try await AccountingReport.load(from: client, logger: logger)
        let configured = catalog.sensorsByNeighborhood
        var neighborhoods: [NeighborhoodRow] = []
        for neighborhood in catalog.neighborhoods.sorted() {
            let rows = sensors.filter { $0.neighborhood == neighborhood }
            let readings = rows.reduce(Int64(0)) { $0 + $1.readings }
            let expected = rows.reduce(Int64(0)) { $0 + $1.expectedReadings }
            let counts = accounting.neighborhoods[neighborhood] ?? AccountingReport.Counts()
            neighborhoods.append(
                NeighborhoodRow(
                    neighborhood: neighborhood, sensors: configured[neighborhood] ?? 0, sensorsReporting: rows.count,
                    completeness: expected > 0 ? min(1, Double(readings) / Double(expected)) : 0,
                    stuckSensors: rows.filter(\.stuck).count, stalenessSeconds: rows.map(\.stalenessSeconds).max() ?? 0,
                    received: counts.received, rejectedByReason: counts.rejectedByReason,
                    rejectionRate: counts.received > 0 ? Double(counts.rejected) / Double(counts.received) : 0))
        }
        return QualityReport(referenceTime: reference, sensors: sensors, neighborhoods: neighborhoods)
    }
}
