import CablecarDomain

/// Sums of context reports for one neighborhood in one five-minute interval (exact, as
/// `SensorPartial`'s).
public struct ContextPartial: Sendable, Equatable {
    public var temperatureSum: ExactSum = 0
    public var precipitationSum: ExactSum = 0
    public var visibilitySum: ExactSum = 0
    public var weatherCount: Int = 0
    public var delaySum: ExactSum = 0
    public var delayCount: Int = 0
    public var eventUpdates: Int = 0

    public init() {}

    public mutating func add(_ record: AcceptedRecord) {
        switch record {
        case .weather(let report):
            temperatureSum += ExactSum(report.temperatureCelsius)
            precipitationSum += ExactSum(report.precipitationMmPerHour)
            visibilitySum += ExactSum(report.visibilityMeters)
            weatherCount += 1
        case .gps(let position, _):
            delaySum += ExactSum(position.delaySeconds)
            delayCount += 1
        case .event:
            eventUpdates += 1
        case .loop, .camera:
            break
        }
    }

    public mutating func add(_ other: ContextPartial) {
        temperatureSum += other.temperatureSum
        precipitationSum += other.precipitationSum
        visibilitySum += other.visibilitySum
        weatherCount += other.weatherCount
        delaySum += other.delaySum
        delayCount += other.delayCount
        eventUpdates += other.eventUpdates
    }

    /// The interval's context; a measure is absent (not zero) when nothing reported it.
    public func observation(
        neighborhood: String, intervalStart: EpochMillis, activeScheduledEvents: Int, activeIncidents: Int, revision: Int,
        ingestTime: EpochMillis, knownAt: EpochMillis? = nil
    ) -> ContextObservation {
        let weather = weatherCount > 0 ? Double(weatherCount) : nil
        return ContextObservation(
            neighborhood: neighborhood, eventTime: intervalStart,
            temperatureCelsius: weather.map { TrafficAggregation.rounded(temperatureSum.value / $0, 2) },
            precipitationMmPerHour: weather.map { TrafficAggregation.rounded(precipitationSum.value / $0, 2) },
            visibilityMeters: weather.map { TrafficAggregation.rounded(visibilitySum.value / $0, 1) },
            activeScheduledEvents: activeScheduledEvents, activeIncidents: activeIncidents,
            transitDelaySeconds: delayCount > 0 ? TrafficAggregation.rounded(delaySum.value / Double(delayCount), 1) : nil,
            transitReports: delayCount, revision: revision, ingestTime: ingestTime, knownAt: knownAt)
    }
}
