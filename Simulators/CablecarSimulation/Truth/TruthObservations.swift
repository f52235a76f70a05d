import CablecarDomain

/// Ground truth as the observations a perfectly working ingest would emit: one traffic
/// observation per segment and interval, and one context observation per neighborhood and
/// interval (its mean rain), each arriving right after its interval ends. Training-set tests and
/// benchmarks build feature snapshots from these without running the sensors and ingest.
public struct TruthObservations: Sendable {
    public var traffic: [TrafficObservation] = []
    public var context: [ContextObservation] = []

    public init() {}

    /// Simulates `configuration` and collects its truth (no feed records are made).
    public static func simulate(_ configuration: SimulationConfiguration) throws -> TruthObservations {
        let engine = try SimulationEngine(configuration: configuration, emitsFeeds: false)
        var result = TruthObservations()
        while try engine.step() {
            _ = engine.takeRecords()
            result.add(engine.takeTruth())
        }
        _ = engine.takeRecords()
        result.add(engine.takeTruth())
        return result
    }

    public mutating func add(_ truth: [SegmentTruth]) {
        guard !truth.isEmpty else { return }
        var rain: [String: (sum: Double, count: Int, time: EpochMillis)] = [:]
        for row in truth {
            let arrival = row.eventTime + Interval.lengthMillis + 1_000
            traffic.append(
                TrafficObservation(
                    segmentID: row.segmentID, neighborhood: row.neighborhood, eventTime: row.eventTime,
                    flowVehiclesPerHour: row.flowVehiclesPerHour, speedKmh: row.speedKmh, occupancy: row.occupancy,
                    sampleCount: 5, revision: 0, ingestTime: arrival))
            let key = "\(row.neighborhood)|\(row.eventTime)"
            let previous = rain[key] ?? (0, 0, row.eventTime)
            rain[key] = (previous.sum + row.rainMmPerHour, previous.count + 1, row.eventTime)
            if previous.count == 0 { rainOrder.append((key, row.neighborhood)) }
        }
        for (key, neighborhood) in rainOrder {
            guard let value = rain[key] else { continue }
            context.append(
                ContextObservation(
                    neighborhood: neighborhood, eventTime: value.time, temperatureCelsius: nil,
                    precipitationMmPerHour: value.sum / Double(value.count), visibilityMeters: nil, activeScheduledEvents: 0,
                    activeIncidents: 0, transitDelaySeconds: nil, transitReports: 0, revision: 0,
                    ingestTime: value.time + Interval.lengthMillis + 1_000))
        }
        rainOrder.removeAll()
    }

    private var rainOrder: [(String, String)] = []
}
