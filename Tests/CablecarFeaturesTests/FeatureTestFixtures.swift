import CablecarDomain
import CablecarFeatures

/// A three-segment chain A → B → C in one neighborhood, UTC, for hand-checkable features.
enum Fixtures {
    static let base: EpochMillis = 1_740_960_000_000  // 2025-03-03 00:00 UTC, a Monday
    static let step = Interval.lengthMillis
    static let day: EpochMillis = 86_400_000

    static let city = CityDefinition(
        name: "tiny", timeZone: "UTC",
        neighborhoods: [
            Neighborhood(id: "n1", name: "North", profile: .mixed), Neighborhood(id: "n2", name: "South", profile: .residential),
        ],
        segments: [
            RoadSegment(
                id: "A", neighborhood: "n1", lengthMeters: 100, lanes: 1, freeFlowSpeedKmh: 50, capacityPerLane: 900, upstream: [],
                downstream: ["B"]),
            RoadSegment(
                id: "B", neighborhood: "n1", lengthMeters: 100, lanes: 1, freeFlowSpeedKmh: 50, capacityPerLane: 900, upstream: ["A"],
                downstream: ["C"]),
            RoadSegment(
                id: "C", neighborhood: "n2", lengthMeters: 100, lanes: 1, freeFlowSpeedKmh: 50, capacityPerLane: 900, upstream: ["B"],
                downstream: []),
        ],
        sensors: [], routes: [], venues: [])

    static func traffic(
        _ segment: String, _ start: EpochMillis, flow: Double, speed: Double?, revision: Int = 0, availableAt: EpochMillis? = nil
    ) -> AvailableTraffic {
        let neighborhood = segment == "C" ? "n2" : "n1"
        let o = TrafficObservation(
            segmentID: segment, neighborhood: neighborhood, eventTime: start, flowVehiclesPerHour: flow, speedKmh: speed,
            occupancy: nil, sampleCount: 1, revision: revision, ingestTime: availableAt ?? start + step)
        return AvailableTraffic(o, availableAt: availableAt ?? start + step)
    }

    static func context(
        _ neighborhood: String, _ start: EpochMillis, temperature: Double? = nil, precipitation: Double? = nil,
        events: Int = 0, incidents: Int = 0, delay: Double? = nil, revision: Int = 0, availableAt: EpochMillis? = nil
    ) -> AvailableContext {
        let o = ContextObservation(
            neighborhood: neighborhood, eventTime: start, temperatureCelsius: temperature, precipitationMmPerHour: precipitation,
            visibilityMeters: nil, activeScheduledEvents: events, activeIncidents: incidents, transitDelaySeconds: delay,
            transitReports: delay == nil ? 0 : 1, revision: revision, ingestTime: availableAt ?? start + step)
        return AvailableContext(o, availableAt: availableAt ?? start + step)
    }

    static func value(_ row: FeatureRow?, _ name: String, _ computer: FeatureComputer) -> Double? {
        guard let row, let index = computer.featureNames.firstIndex(of: name) else { return nil }
        return row.values[index]
    }
}
