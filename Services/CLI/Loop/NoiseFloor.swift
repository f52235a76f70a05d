import CablecarDomain
import CablecarFeatureClient
import CablecarForecasting
import Foundation

/// The main job's noise floor: truth from the replay's ground-truth file, labels from the
/// feature store (see `NoiseFloor`).
extension NoiseFloor {
    /// Reads the truth of `[start, end)` from the replay's ground-truth file and the labels from
    /// the feature store (the same point-in-time retrieval the trainer scores on).
    static func measure(groundTruth: URL, featuresURL: URL, start: EpochMillis, end: EpochMillis) async throws -> NoiseFloor {
        let truth = try readTruth(groundTruth, start: start, end: end)
        let client = FeatureClient(baseURL: featuresURL, recordSnapshots: false)
        let snapshot = try await client.historical(SnapshotRequest(start: start, end: end, features: ["speed_lag_1"]))
        var sums: [ForecastTarget: Double] = [:]
        var counts: [ForecastTarget: Int] = [:]
        for row in snapshot.rows {
            guard let state = truth[Key(segment: row.segmentID, time: row.timestamp)] else { continue }
            if let observed = row.actualSpeedKmh {
                sums[.speed, default: 0] += abs(observed - state.speed)
                counts[.speed, default: 0] += 1
            }
            if let observed = row.actualFlowVehiclesPerHour {
                sums[.flow, default: 0] += abs(observed - state.flow)
                counts[.flow, default: 0] += 1
            }
        }
        var mae: [ForecastTarget: Double] = [:]
        for (target, count) in counts where count > 0 { mae[target] = (sums[target] ?? 0) / Double(count) }
        return NoiseFloor(mae: mae, pairs: counts)
    }

    struct Key: Hashable {
        var segment: String
        var time: EpochMillis
    }

    /// Segment truth rows of the file within `[start, end)`.
    static func readTruth(_ url: URL, start: EpochMillis, end: EpochMillis) throws -> [Key: (speed: Double, flow: Double)] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ValidationErrorText("no ground truth at \(url.path)")
        }
        struct Line: Decodable {
            var type: String
            var segmentID: String?
            var eventTime: EpochMillis?
            var speedKmh: Double?
            var flowVehiclesPerHour: Double?
            enum CodingKeys: String, CodingKey {
                case type
                case segmentID = "segment_id"
                case eventTime = "event_time"
                case speedKmh = "speed_kmh"
                case flowVehiclesPerHour = "flow_veh_h"
            }
        }
        let decoder = JSONDecoder()
        var truth: [Key: (Double, Double)] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) where line.count > 20 {
            // Cheap pre-filter: only segment rows are decoded.
            guard line.starts(with: Array(#"{"type":"segment""#.utf8)) else { continue }
            guard let row = try? decoder.decode(Line.self, from: Data(line)), let segment = row.segmentID,
                let time = row.eventTime, time >= start, time < end, let speed = row.speedKmh, let flow = row.flowVehiclesPerHour
            else { continue }
            truth[Key(segment: segment, time: time)] = (speed, flow)
        }
        return truth
    }

}
