import CablecarDomain

/// Traffic values of one revision; NaN-free, `nil` speed when no sensor measured it.
public struct TrafficValues: Sendable, Hashable {
    public var flow: Double
    public var speed: Double?
    public var occupancy: Double?

    public init(flow: Double, speed: Double?, occupancy: Double? = nil) {
        self.flow = flow
        self.speed = speed
        self.occupancy = occupancy
    }

    @inline(__always)
    func value(_ field: TrafficField) -> Double? {
        switch field {
        case .flow: flow
        case .speed: speed
        case .occupancy: occupancy
        }
    }
}

/// Context values of one revision of a neighborhood interval.
public struct ContextValues: Sendable, Hashable {
    public var temperature: Double?
    public var precipitation: Double?
    public var visibility: Double?
    public var activeScheduledEvents: Int
    public var activeIncidents: Int
    public var transitDelay: Double?

    public init(_ observation: ContextObservation) {
        temperature = observation.temperatureCelsius
        precipitation = observation.precipitationMmPerHour
        visibility = observation.visibilityMeters
        activeScheduledEvents = observation.activeScheduledEvents
        activeIncidents = observation.activeIncidents
        transitDelay = observation.transitDelaySeconds
    }

    @inline(__always)
    func value(_ field: ContextField) -> Double? {
        switch field {
        case .temperature: temperature
        case .precipitation: precipitation
        case .visibility: visibility
        case .activeScheduledEvents: Double(activeScheduledEvents)
        case .activeIncidents: Double(activeIncidents)
        case .transitDelay: transitDelay
        }
    }
}

/// Every revision of every observation with its availability time, indexed for point-in-time
/// lookups. The streaming path appends to one as messages arrive; backfill builds one from the
/// stored history; both hand it to the same `FeatureComputer`.
public struct ObservationHistory: Sendable {
    private var traffic: [String: RevisionSlots<TrafficValues>] = [:]
    private var context: [String: RevisionSlots<ContextValues>] = [:]
    public private(set) var trafficCount = 0
    public private(set) var contextCount = 0

    public init() {}

    public init(traffic: some Sequence<AvailableTraffic>, context: some Sequence<AvailableContext>) {
        for item in traffic { insert(item) }
        for item in context { insert(item) }
    }

    public mutating func insert(_ item: AvailableTraffic) {
        let o = item.observation
        let start = Interval.start(containing: o.eventTime)
        traffic[o.segmentID, default: RevisionSlots(origin: start)].insert(
            intervalStart: start, revision: o.revision, availableAt: item.availableAt,
            value: TrafficValues(flow: o.flowVehiclesPerHour, speed: o.speedKmh, occupancy: o.occupancy))
        trafficCount += 1
    }

    public mutating func insert(_ item: AvailableContext) {
        let o = item.observation
        let start = Interval.start(containing: o.eventTime)
        context[o.neighborhood, default: RevisionSlots(origin: start)].insert(
            intervalStart: start, revision: o.revision, availableAt: item.availableAt, value: ContextValues(o))
        contextCount += 1
    }

    /// Forgets intervals that started before `cutoff`.
    public mutating func trim(before cutoff: EpochMillis) {
        for key in traffic.keys { traffic[key]?.trim(before: cutoff) }
        for key in context.keys { context[key]?.trim(before: cutoff) }
    }

    /// The interval's values as known at `knownAt` (highest revision available by then).
    public func traffic(segment: String, intervalStart: EpochMillis, knownAt: EpochMillis) -> TrafficValues? {
        traffic[segment]?.value(intervalStart: intervalStart, knownAt: knownAt)
    }

    /// The interval's latest revision regardless of availability: what labels are made of.
    public func latestTraffic(segment: String, intervalStart: EpochMillis) -> TrafficValues? {
        traffic[segment]?.latest(intervalStart: intervalStart)
    }

    public func context(neighborhood: String, intervalStart: EpochMillis, knownAt: EpochMillis) -> ContextValues? {
        context[neighborhood]?.value(intervalStart: intervalStart, knownAt: knownAt)
    }

    func trafficSlots(_ segment: String) -> RevisionSlots<TrafficValues>? { traffic[segment] }
    func contextSlots(_ neighborhood: String) -> RevisionSlots<ContextValues>? { context[neighborhood] }
}
