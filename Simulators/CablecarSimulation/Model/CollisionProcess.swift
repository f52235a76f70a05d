import CablecarDomain
import Foundation

/// Collisions: random ones (about eight a day, more when traffic is heavy, mostly on
/// arterials) and forced ones from a scenario. Each cuts a segment's capacity while it
/// lasts; the queue it builds spills upstream and drains after it clears.
struct CollisionProcess: Sendable {
    static let meanPerDay = 8.0

    struct Active: Sendable {
        var event: CityEvent
        var segment: Int
        var capacityFactor: Double
        var clearsAt: EpochMillis
    }

    private var random: SeededRandom
    private let index: CityIndex
    private var serial = 0
    private(set) var active: [Active] = []

    /// Draws from `random` from now on (a fork of the city with another future).
    mutating func reseed(_ random: SeededRandom) {
        self.random = random
    }

    init(index: CityIndex, random: SeededRandom) {
        self.random = random
        self.index = index
    }

    /// Advances one minute. Returns status changes: `started` for new collisions and
    /// `cleared` for those that ended during the minute.
    mutating func step(
        time: EpochMillis, demandLevel: Double, forced: [(segment: Int, lanesBlocked: Int, minutes: Int)]
    ) -> [CityEvent] {
        var changes: [CityEvent] = []
        active.removeAll { collision in
            guard collision.clearsAt <= time else { return false }
            var cleared = collision.event
            cleared.status = .cleared
            cleared.eventTime = collision.clearsAt
            changes.append(cleared)
            return true
        }
        var starting = forced
        // Heavier traffic, more collisions; the draw happens every minute either way so the
        // stream of random numbers does not depend on what is forced.
        let occurs = random.bernoulli(Self.meanPerDay / 1440 * min(2, demandLevel / 0.45))
        let onArterial = random.bernoulli(0.7)
        let pool = onArterial && !index.arterials.isEmpty ? index.arterials : Array(index.segments.indices)
        let pick = pool[random.integer(0...(pool.count - 1))]
        let twoLanes = random.bernoulli(0.25)
        let minutes = Int(20 + min(100, random.exponential(mean: 25)))
        if occurs { starting.append((pick, twoLanes ? 2 : 1, minutes)) }
        for (segment, lanesBlocked, minutes) in starting where !active.contains(where: { $0.segment == segment }) {
            let road = index.segments[segment]
            let blocked = min(lanesBlocked, road.lanes)
            let remaining = Double(road.lanes - blocked) / Double(road.lanes)
            // Rubbernecking: even open lanes discharge slower past a wreck.
            let factor = max(0.08, remaining * 0.65)
            serial += 1
            let clears = time + EpochMillis(minutes) * 60_000
            let event = CityEvent(
                eventID: "col-\(time / 60_000)-\(serial)", kind: .collision, status: .started, eventTime: time,
                neighborhood: road.neighborhood, segments: [road.id], startsAt: time, endsAt: nil, lanesBlocked: blocked)
            active.append(Active(event: event, segment: segment, capacityFactor: factor, clearsAt: clears))
            changes.append(event)
        }
        return changes
    }

    func apply(capacity: inout [Double], speed: inout [Double]) {
        for collision in active {
            capacity[collision.segment] = min(capacity[collision.segment], collision.capacityFactor)
            speed[collision.segment] = min(speed[collision.segment], 0.75)
        }
    }
}
