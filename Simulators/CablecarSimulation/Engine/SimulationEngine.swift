import CablecarDomain
import Foundation

/// The simulated city, advanced one minute per `step()`. Each step updates weather,
/// incidents, venue crowds and traffic, generates every feed's readings for the minute,
/// passes them through fault injection, and releases the records whose publish time has
/// come — so output leaves in publish-time order even when faults delay records.
///
/// Not `Sendable`: one engine belongs to one task. Use `SimulationReplay` to drive it
/// into a `FeedSink`, or call `step()` directly (tests, benchmarks).
public final class SimulationEngine {
    public let configuration: SimulationConfiguration
    /// False for an engine that only moves the city (truth, no feed records): a fork, or a
    /// benchmark that needs the answer key alone. The feeds draw from their own random
    /// streams, so leaving them out does not change the traffic.
    public let emitsFeeds: Bool
    let index: CityIndex
    let calendar: SimulationCalendar
    let scenario: ResolvedScenario
    /// Local midnights: day d runs from `dayStarts[d]` to `dayStarts[d + 1]`.
    public let dayStarts: [EpochMillis]
    public var startTime: EpochMillis { dayStarts[0] }
    public var endTime: EpochMillis { dayStarts[dayStarts.count - 1] }
    /// Start of the next minute to simulate.
    public private(set) var now: EpochMillis

    var traffic: TrafficModel
    var weather: WeatherProcess
    var collisions: CollisionProcess
    var venues: VenueEvents
    var fleet: TransitFleet
    var faults: FaultInjector
    var trafficRandom: SeededRandom
    var measurementRandom: SeededRandom

    var day = 0
    var mood: [Double]
    var closedLanes: [Int]
    var lastLoop: [LoopDetectorReading?]
    var lastCamera: [CameraCount?]
    var truth: TruthAccumulator
    /// Records generated but not yet due, in generation order.
    var pending: [(outgoing: FaultInjector.Outgoing, order: Int)] = []
    var generated = 0
    var sequence = 0

    var released: [FeedRecord] = []
    var releasedTruth: [SegmentTruth] = []
    var releasedFaults: [InjectedFault] = []

    public init(configuration: SimulationConfiguration, emitsFeeds: Bool = true) throws {
        guard configuration.days >= 1 else { throw SimulationError.invalidConfiguration("--days must be at least 1") }
        try configuration.rates.validate()
        try configuration.city.validate()
        self.configuration = configuration
        self.emitsFeeds = emitsFeeds
        let index = CityIndex(city: configuration.city)
        self.index = index
        let calendar = try SimulationCalendar(timeZoneIdentifier: configuration.city.timeZone)
        self.calendar = calendar
        scenario = try ResolvedScenario(configuration.scenario, index: index)
        dayStarts = try (0...configuration.days).map { try calendar.midnight(of: configuration.start, plusDays: $0) }
        // Calendar quietly rolls 2025-02-30 over to March 2; a typo should fail instead.
        guard calendar.localDate(at: dayStarts[0] + 12 * 3_600_000) == configuration.start else {
            throw SimulationError.invalidConfiguration("\(configuration.start) is not a date")
        }
        now = dayStarts[0]
        let seed = configuration.seed
        var setup = SeededRandom.stream("city", seed: seed)
        traffic = TrafficModel(index: index, random: &setup)
        trafficRandom = .stream("traffic", seed: seed)
        measurementRandom = .stream("measurement", seed: seed)
        weather = WeatherProcess(neighborhoods: index.profiles.count, random: .stream("weather", seed: seed))
        collisions = CollisionProcess(index: index, random: .stream("collisions", seed: seed))
        venues = VenueEvents(index: index, scenario: scenario, random: .stream("venues", seed: seed))
        fleet = TransitFleet(index: index, random: .stream("transit", seed: seed))
        faults = FaultInjector(
            configuration: configuration.faults, sensors: [.rawLoop: index.loops.count, .rawCamera: index.cameras.count],
            random: .stream("faults", seed: seed))
        mood = Array(repeating: 1, count: index.profiles.count)
        closedLanes = Array(repeating: 0, count: index.segments.count)
        lastLoop = Array(repeating: nil, count: index.loops.count)
        lastCamera = Array(repeating: nil, count: index.cameras.count)
        truth = TruthAccumulator(segments: index.segments.count)
    }

    /// A copy of the city as it stands now (every queue, the day's mood, active collisions, the
    /// rain episode, the day's planned venues) that only moves the city, without feeds. With
    /// `futureSeed` its random draws from here on are fresh: the same present with another future,
    /// which is what the best possible forecast averages over. Without, it replays this engine's
    /// own future exactly. `redrawingDayMood` also draws the day's demand mood per neighborhood
    /// afresh: the present of a forecaster that does not know how busy today is.
    public func fork(futureSeed: UInt64? = nil, redrawingDayMood: Bool = false) -> SimulationEngine {
        SimulationEngine(forking: self, futureSeed: futureSeed, redrawingDayMood: redrawingDayMood)
    }

    private init(forking other: SimulationEngine, futureSeed: UInt64?, redrawingDayMood: Bool) {
        configuration = other.configuration
        emitsFeeds = false
        index = other.index
        calendar = other.calendar
        scenario = other.scenario
        dayStarts = other.dayStarts
        now = other.now
        traffic = other.traffic
        weather = other.weather
        collisions = other.collisions
        venues = other.venues
        fleet = other.fleet
        faults = other.faults
        trafficRandom = other.trafficRandom
        measurementRandom = other.measurementRandom
        day = other.day
        mood = other.mood
        closedLanes = other.closedLanes
        lastLoop = other.lastLoop
        lastCamera = other.lastCamera
        truth = other.truth
        if let futureSeed {
            trafficRandom = .stream("traffic", seed: futureSeed)
            weather.reseed(.stream("weather", seed: futureSeed))
            collisions.reseed(.stream("collisions", seed: futureSeed))
            venues.reseed(.stream("venues", seed: futureSeed))
        }
        if redrawingDayMood {
            var draws = SeededRandom.stream("mood", seed: futureSeed ?? configuration.seed)
            for hood in mood.indices { mood[hood] = Self.dayMood(&draws) }
        }
    }

    public var isFinished: Bool { now >= endTime }
    /// Share of simulated time done, 0 ... 1.
    public var progress: Double { Double(now - startTime) / Double(max(1, endTime - startTime)) }

    /// Simulates one minute. Returns false when the run is over (after releasing the
    /// records still waiting for their publish time).
    @discardableResult
    public func step() throws -> Bool {
        guard now < endTime else { return false }
        let time = now
        if day + 1 < dayStarts.count - 1, time >= dayStarts[day + 1] { day += 1 }
        if time == dayStarts[day] { try beginDay(midnight: time) }
        let clock = calendar.localClock(at: time)
        let minuteOfDay = Int((time - dayStarts[day]) / 60_000)

        weather.step(time: time, day: day, hour: clock.hour, forcedRain: forcedRain(minuteOfDay: minuteOfDay))
        var neighborhoodDemand = index.profiles.indices.map { hood in
            DemandCurve.factor(profile: index.profiles[hood], hour: clock.hour, weekend: clock.weekend)
                * scenario.demandMultiplier(neighborhood: hood, day: day) * mood[hood]
        }
        let level = neighborhoodDemand.reduce(0, +) / Double(max(1, neighborhoodDemand.count))
        var events = collisions.step(time: time, demandLevel: level, forced: forcedCollisions(minuteOfDay: minuteOfDay))
        events += venues.statusChanges(during: time)
        var extra = Array(repeating: 0.0, count: index.segments.count)
        venues.addDemand(at: time, to: &extra)
        var incidentCapacity = Array(repeating: 1.0, count: index.segments.count)
        var incidentSpeed = incidentCapacity
        collisions.apply(capacity: &incidentCapacity, speed: &incidentSpeed)
        let rain = index.profiles.indices.map { weather.severity(neighborhood: $0) }
        // Rain keeps some trips at home; most still happen, just slower.
        for hood in neighborhoodDemand.indices { neighborhoodDemand[hood] *= 1 - 0.05 * rain[hood] }
        traffic.step(
            TrafficModel.Conditions(
                neighborhoodDemand: neighborhoodDemand, rainSeverity: rain, extraDemand: extra, closedLanes: closedLanes,
                incidentCapacity: incidentCapacity, incidentSpeed: incidentSpeed),
            random: &trafficRandom)
        truth.add(traffic, rain: weather.rain, neighborhoodOf: index.neighborhoodOfSegment, collisions: incidentCapacity)

        if emitsFeeds {
            try emitSensors(time: time, clock: clock, rain: rain)
            try emitTransit(time: time, clock: clock)
            if minuteOfDay % configuration.rates.weatherIntervalMinutes == 0 { try emitWeather(time: time, hour: clock.hour) }
        }
        for event in events {
            let delay =
                event.kind == .collision && event.status == .started
                ? measurementRandom.integer(30_000...120_000) : measurementRandom.integer(2_000...20_000)
            try enqueue(
                event, topic: .rawEvents, key: Array(event.neighborhood.utf8), subject: event.eventID, publishDelay: EpochMillis(delay))
        }

        now = time + 60_000
        if now % Interval.lengthMillis == 0 || now == endTime {
            releasedTruth += truth.close(intervalStart: Interval.start(containing: time), model: traffic, index: index)
        }
        release(before: now >= endTime ? .max : now)
        return now < endTime
    }

    /// Records released since the last call, in publish-time order.
    public func takeRecords() -> [FeedRecord] {
        defer { released.removeAll(keepingCapacity: true) }
        return released
    }

    public func takeTruth() -> [SegmentTruth] {
        defer { releasedTruth.removeAll(keepingCapacity: true) }
        return releasedTruth
    }

    /// Injected faults logged since the last call (dropouts as they happen, the rest as
    /// their records are released, with their output sequence number).
    public func takeFaults() -> [InjectedFault] {
        defer { releasedFaults.removeAll(keepingCapacity: true) }
        return releasedFaults
    }

    private func beginDay(midnight: EpochMillis) throws {
        for hood in mood.indices { mood[hood] = Self.dayMood(&trafficRandom) }
        let clock = calendar.localClock(at: midnight + 12 * 3_600_000)
        let date = calendar.localDate(at: midnight + 12 * 3_600_000)
        for event in venues.planDay(day: day, midnight: midnight, weekend: clock.weekend, date: date) {
            try enqueue(event, topic: .rawEvents, key: Array(event.neighborhood.utf8), subject: event.eventID, publishDelay: 1_000)
        }
        for construction in scenario.constructions where construction.fromDay == day {
            for segment in construction.segments {
                closedLanes[segment] = max(closedLanes[segment], construction.lanesClosed)
            }
            for hood in construction.neighborhoods {
                let segments = construction.segments.filter { index.segments[$0].neighborhood == hood }.map { index.segments[$0].id }
                let event = CityEvent(
                    eventID: "con-\(hood)-\(date)", kind: .construction, status: .started, eventTime: midnight,
                    neighborhood: hood, segments: segments, startsAt: midnight, endsAt: nil, lanesBlocked: construction.lanesClosed)
                try enqueue(event, topic: .rawEvents, key: Array(hood.utf8), subject: event.eventID, publishDelay: 1_000)
            }
        }
    }

    /// How busy a neighborhood is today, as a multiplier of its usual demand.
    private static func dayMood(_ random: inout SeededRandom) -> Double {
        exp(random.normal(standardDeviation: 0.05))
    }

    private func forcedRain(minuteOfDay: Int) -> Double? {
        var value: Double?
        for forced in scenario.forced where forced.kind == .rain && forced.day == day {
            if minuteOfDay >= forced.minute && minuteOfDay < forced.minute + forced.durationMinutes {
                value = max(value ?? 0, forced.intensity)
            }
        }
        return value
    }

    private func forcedCollisions(minuteOfDay: Int) -> [(segment: Int, lanesBlocked: Int, minutes: Int)] {
        scenario.forced.compactMap { forced in
            guard forced.kind == .collision, forced.day == day, forced.minute == minuteOfDay, let segment = forced.segment else {
                return nil
            }
            return (segment, forced.lanesBlocked, forced.durationMinutes)
        }
    }

    /// Encodes a message, gives it a publish time, and hands it to fault injection.
    func enqueue<Message: FastWireEncodable>(
        _ message: Message, topic: Topic, key: [UInt8], subject: String, publishDelay: EpochMillis, stuck: Bool = false
    ) throws {
        guard emitsFeeds else { return }
        let value = try message.wireBytes()
        let record = FeedRecord(
            topic: topic, key: key, value: value, eventTime: message.eventTime, publishTime: message.eventTime + publishDelay)
        var out: [FaultInjector.Outgoing] = []
        if stuck {
            out.append(faults.stuck(record, subject: subject))
        } else {
            faults.deliver(record, subject: subject, into: &out)
        }
        for outgoing in out {
            pending.append((outgoing, generated))
            generated += 1
        }
    }

    /// Moves every pending record due before `limit` to the output, in publish-time order
    /// (generation order breaks ties, so the order is total and reproducible).
    private func release(before limit: EpochMillis) {
        releasedFaults += faults.takeUnpublished()
        guard !pending.isEmpty else { return }
        pending.sort { a, b in
            a.outgoing.record.publishTime != b.outgoing.record.publishTime
                ? a.outgoing.record.publishTime < b.outgoing.record.publishTime : a.order < b.order
        }
        var due = 0
        while due < pending.count && pending[due].outgoing.record.publishTime < limit { due += 1 }
        for item in pending[0..<due] {
            released.append(item.outgoing.record)
            if var fault = item.outgoing.fault {
                fault.sequence = sequence
                fault.publishTime = item.outgoing.record.publishTime
                releasedFaults.append(fault)
            }
            sequence += 1
        }
        pending.removeFirst(due)
    }
}
