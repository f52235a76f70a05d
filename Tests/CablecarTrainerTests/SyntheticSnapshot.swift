import CablecarDomain
import Foundation

/// A small hand-made snapshot with a known structure: a daily speed cycle per segment plus a
/// persistent (AR(1)) disturbance, so the last observed value and the time-of-day average both
/// carry information and a model combining them should beat either alone.
enum SyntheticSnapshot {
    static let monday: EpochMillis = 1_704_067_200_000  // 2024-01-01 00:00 UTC, a Monday

    /// A lasting drop of every speed in one neighborhood from the start of a day on (a lane
    /// closure), which the baseline-route tests use.
    struct SpeedDrop {
        var neighborhoods: Set<String>
        var fromDay: Int
        var kmh: Double
    }

    static func make(
        neighborhoods: [String] = ["Alpha", "Beta", "Gamma"], segmentsPerNeighborhood: Int = 2, days: Int = 21,
        seed: UInt64 = 7, missingEvery: Int = 37, drop: SpeedDrop? = nil
    ) -> FeatureSnapshot {
        let step = Interval.lengthMillis
        let steps = days * 288
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var rows: [FeatureRow] = []
        var segmentNumber = 0
        for (n, neighborhood) in neighborhoods.enumerated() {
            for s in 0..<segmentsPerNeighborhood {
                segmentNumber += 1
                let id = "seg-\(n)-\(s)"
                let free = 45 + Double(n * 5 + s)
                var disturbance = 0.0
                var speeds: [Double] = []
                var flows: [Double] = []
                for k in 0..<steps {
                    let t = monday + EpochMillis(k) * step
                    let hour = Double((t / 60_000) % 1440) / 60
                    let rush = exp(-pow((hour - 8.5) / 1.2, 2)) + exp(-pow((hour - 17.5) / 1.5, 2))
                    let weekend = Interval.slotOfWeek(t) >= 5 * 288 ? 0.4 : 1.0
                    disturbance = 0.95 * disturbance + 1.2 * uniform()
                    let dropped = drop.map { $0.neighborhoods.contains(neighborhood) && k >= $0.fromDay * 288 } ?? false
                    speeds.append(free - 18 * rush * weekend + disturbance - (dropped ? drop?.kmh ?? 0 : 0))
                    flows.append(400 + 900 * rush * weekend - 8 * disturbance + 20 * uniform())
                }
                for k in 0..<steps {
                    let missing = (k + segmentNumber) % missingEvery == 0
                    let lastSpeed: Double? = k > 0 && !missing ? speeds[k - 1] : nil
                    let lastFlow: Double? = k > 0 && !missing ? flows[k - 1] : nil
                    let hourly: Double? = k >= 12 ? speeds[(k - 12)..<k].reduce(0, +) / 12 : nil
                    rows.append(
                        FeatureRow(
                            segmentID: id, neighborhood: neighborhood, timestamp: monday + EpochMillis(k) * step,
                            values: [lastSpeed, lastFlow, hourly],
                            actualSpeedKmh: k % 101 == 0 ? nil : speeds[k],
                            actualFlowVehiclesPerHour: flows[k]))
                }
            }
        }
        let request = SnapshotRequest(start: monday, end: monday + EpochMillis(steps) * step)
        return FeatureSnapshot(
            fingerprint: "synthetic-\(seed)-\(days)", request: request,
            featureNames: ["speed_kmh_last", "flow_veh_h_last", "speed_kmh_mean_1h"],
            featureVersions: ["speed_kmh_last": 1, "flow_veh_h_last": 1, "speed_kmh_mean_1h": 1], rows: rows)
    }
}
