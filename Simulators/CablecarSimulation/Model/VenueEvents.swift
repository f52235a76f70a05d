import CablecarDomain
import Foundation

/// Games and concerts: drawn once per day per venue, announced in the morning, and felt on
/// the venue's approach segments (and, half as strongly, the segments feeding them) as an
/// arrival wave before the start and a sharper exit wave after the end.
struct VenueEvents: Sendable {
    /// Share of attendees arriving by car, over average car occupancy.
    static let carsPerAttendee = 0.12

    struct Planned: Sendable {
        var event: CityEvent
        var segments: [Int]
        var feeders: [Int]
        var cars: Double
    }

    struct Site: Sendable {
        var venue: Venue
        var segments: [Int]
        var fromDay: Int
        var probability: Double
        var startMinute: Int?
        var durationHours: Double?
    }

    private var random: SeededRandom
    private let sites: [Site]
    private let index: CityIndex
    private(set) var planned: [Planned] = []

    /// Draws from `random` from now on (a fork of the city with another future).
    mutating func reseed(_ random: SeededRandom) {
        self.random = random
    }

    init(index: CityIndex, scenario: ResolvedScenario, random: SeededRandom) {
        self.random = random
        self.index = index
        var sites = index.city.venues.map { venue in
            Site(
                venue: venue, segments: venue.segments.compactMap { index.segmentIndex[$0] }, fromDay: 0,
                probability: venue.capacity >= 30_000 ? 0.45 : (venue.capacity >= 8_000 ? 0.4 : 0.5), startMinute: nil,
                durationHours: nil)
        }
        for added in scenario.venues {
            sites.append(
                Site(
                    venue: added.venue, segments: added.segments, fromDay: added.fromDay, probability: added.eventProbability,
                    startMinute: added.startMinute, durationHours: added.durationHours))
        }
        self.sites = sites
    }

    /// Draws the day's events; returns their morning announcements (`scheduled`).
    mutating func planDay(day: Int, midnight: EpochMillis, weekend: Bool, date: LocalDate) -> [CityEvent] {
        planned.removeAll { $0.event.endsAt.map { $0 + 2 * 3_600_000 < midnight } ?? true }
        var announcements: [CityEvent] = []
        for site in sites where day >= site.fromDay && !site.segments.isEmpty {
            let large = site.venue.capacity >= 30_000
            let medium = site.venue.capacity >= 8_000
            // Draw every site every day so that adding a venue does not shift the others.
            let happens = random.bernoulli(site.probability)
            let isGame = large || (medium && random.bernoulli(0.5))
            let attendance = Int(Double(site.venue.capacity) * random.uniform(0.65...1.0))
            guard happens else { continue }
            let defaultStart = large ? (weekend ? 13 * 60 + 5 : 19 * 60 + 15) : (medium ? 19 * 60 + 30 : 20 * 60)
            let start = midnight + EpochMillis(site.startMinute ?? defaultStart) * 60_000
            let hours = site.durationHours ?? (large ? 3 : (medium ? 2.5 : 2))
            let end = start + EpochMillis(hours * 3_600_000)
            let event = CityEvent(
                eventID: "evt-\(site.venue.id)-\(date)", kind: isGame ? .game : .concert, status: .scheduled,
                eventTime: midnight + 6 * 3_600_000, neighborhood: site.venue.neighborhood,
                segments: site.segments.map { index.segments[$0].id }, startsAt: start, endsAt: end,
                expectedAttendance: attendance)
            var feeders: [Int] = []
            for segment in site.segments {
                for feeder in index.upstream[segment] where !site.segments.contains(feeder) && !feeders.contains(feeder) {
                    feeders.append(feeder)
                }
            }
            planned.append(
                Planned(event: event, segments: site.segments, feeders: feeders, cars: Double(attendance) * Self.carsPerAttendee))
            announcements.append(event)
        }
        return announcements
    }

    /// Status changes (`started`, `ended`) that happen during the minute starting at `time`.
    func statusChanges(during time: EpochMillis) -> [CityEvent] {
        var changes: [CityEvent] = []
        for plan in planned {
            var event = plan.event
            if event.startsAt >= time && event.startsAt < time + 60_000 {
                event.status = .started
                event.eventTime = event.startsAt
                changes.append(event)
            } else if let end = event.endsAt, end >= time && end < time + 60_000 {
                event.status = .ended
                event.eventTime = end
                changes.append(event)
            }
        }
        return changes
    }

    /// Adds the crowds' veh/h to `extra` for the minute starting at `time`.
    func addDemand(at time: EpochMillis, to extra: inout [Double]) {
        for plan in planned {
            guard let end = plan.event.endsAt else { continue }
            let minute = Double(time) / 60_000
            let start = Double(plan.event.startsAt) / 60_000
            let finish = Double(end) / 60_000
            let arriving = triangular(minute, from: start - 120, peak: start - 30, to: start)
            let leaving = 0.9 * triangular(minute, from: finish, peak: finish + 15, to: finish + 75)
            let perHour = plan.cars * (arriving + leaving) * 60
            guard perHour > 0 else { continue }
            let share = perHour / Double(plan.segments.count)
            for segment in plan.segments { extra[segment] += share }
            for feeder in plan.feeders { extra[feeder] += share * 0.5 }
        }
    }

    /// Density of a triangular distribution (per minute), zero outside `from...to`.
    private func triangular(_ x: Double, from a: Double, peak c: Double, to b: Double) -> Double {
        guard x > a && x < b else { return 0 }
        return x <= c ? 2 * (x - a) / ((b - a) * (c - a)) : 2 * (b - x) / ((b - a) * (b - c))
    }
}
