import CablecarDomain
import Foundation

/// An independent, deliberately naive implementation of the feature definitions (plain loops
/// over every stored revision, Foundation's Calendar for local time). It does not call the
/// library's transformation code; retrieval must agree with it.
struct BruteForceReference {
    struct TrafficRevision {
        var segment: String
        var intervalStart: EpochMillis
        var revision: Int
        var availableAt: EpochMillis
        var flow: Double
        var speed: Double?
        var occupancy: Double?
    }

    struct ContextRevision {
        var neighborhood: String
        var intervalStart: EpochMillis
        var revision: Int
        var availableAt: EpochMillis
        var values: [String: Double?]
    }

    let city: CityDefinition
    let step: EpochMillis = 300_000
    /// Revisions grouped by "entity@interval start" (a plain lookup, no point-in-time logic).
    private var trafficBySlot: [String: [TrafficRevision]] = [:]
    private var contextBySlot: [String: [ContextRevision]] = [:]

    init(city: CityDefinition, traffic: [TrafficRevision], context: [ContextRevision]) {
        self.city = city
        for r in traffic { trafficBySlot["\(r.segment)@\(r.intervalStart)", default: []].append(r) }
        for r in context { contextBySlot["\(r.neighborhood)@\(r.intervalStart)", default: []].append(r) }
    }

    /// Highest revision of the interval with availability <= t (nil when none).
    func known(_ segment: String, _ start: EpochMillis, at t: EpochMillis) -> TrafficRevision? {
        var best: TrafficRevision?
        for r in trafficBySlot["\(segment)@\(start)"] ?? [] where r.availableAt <= t {
            if best == nil || r.revision > best!.revision { best = r }
        }
        return best
    }

    func knownContext(_ neighborhood: String, _ start: EpochMillis, at t: EpochMillis) -> ContextRevision? {
        var best: ContextRevision?
        for r in contextBySlot["\(neighborhood)@\(start)"] ?? [] where r.availableAt <= t {
            if best == nil || r.revision > best!.revision { best = r }
        }
        return best
    }

    func field(_ r: TrafficRevision?, _ name: String) -> Double? {
        guard let r else { return nil }
        switch name {
        case "speed": return r.speed
        case "occupancy": return r.occupancy
        default: return r.flow
        }
    }

    func values(segment: String, at t: EpochMillis, names: [String]) -> [Double?] {
        let info = city.segments.first { $0.id == segment }!
        var zone = Calendar(identifier: .gregorian)
        zone.timeZone = TimeZone(identifier: city.timeZone)!
        let date = Date(timeIntervalSince1970: Double(t) / 1000)
        let parts = zone.dateComponents([.hour, .minute, .weekday], from: date)
        let minuteOfDay = Double(parts.hour! * 60 + parts.minute!)
        let mondayBased = Double((parts.weekday! + 5) % 7)

        var out: [Double?] = []
        for name in names {
            let f = name.hasPrefix("speed") ? "speed" : name.hasPrefix("occupancy") ? "occupancy" : "flow"
            var value: Double?
            switch name {
            case "speed_lag_1", "flow_lag_1", "occupancy_lag_1": value = field(known(segment, t - step, at: t), f)
            case "speed_lag_2", "flow_lag_2", "occupancy_lag_2": value = field(known(segment, t - 2 * step, at: t), f)
            case "speed_lag_3", "flow_lag_3", "occupancy_lag_3": value = field(known(segment, t - 3 * step, at: t), f)
            case "speed_mean_15m", "flow_mean_15m", "speed_std_15m", "flow_std_15m",
                "speed_mean_60m", "flow_mean_60m", "speed_std_60m", "flow_std_60m", "occupancy_mean_15m", "occupancy_mean_60m":
                let count = name.hasSuffix("15m") ? 3 : 12
                var xs: [Double] = []
                for k in 1...count {
                    if let x = field(known(segment, t - EpochMillis(k) * step, at: t), f) { xs.append(x) }
                }
                if name.contains("mean") {
                    value = xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
                } else if xs.count >= 2 {
                    let m = xs.reduce(0, +) / Double(xs.count)
                    value = (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)).squareRoot()
                }
            case "speed_yesterday", "flow_yesterday": value = field(known(segment, t - 86_400_000, at: t), f)
            case "speed_last_week", "flow_last_week": value = field(known(segment, t - 7 * 86_400_000, at: t), f)
            case "upstream_speed", "downstream_speed":
                let neighbors = name == "upstream_speed" ? info.upstream : info.downstream
                var xs: [Double] = []
                for neighbor in neighbors {
                    // Newest interval that ended at most 15 minutes before t.
                    for k in 1...4 {
                        if let s = known(neighbor, t - EpochMillis(k) * step, at: t)?.speed {
                            xs.append(s)
                            break
                        }
                    }
                }
                value = xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
            case "time_of_day_sin": value = sin(2 * .pi * minuteOfDay / 1440)
            case "time_of_day_cos": value = cos(2 * .pi * minuteOfDay / 1440)
            case "day_of_week_sin": value = sin(2 * .pi * mondayBased / 7)
            case "day_of_week_cos": value = cos(2 * .pi * mondayBased / 7)
            default:
                let ttlMinutes: EpochMillis = [
                    "precipitation_mm_h": 60, "temperature_c": 60, "visibility_m": 60,
                    "active_events": 15, "active_incidents": 15, "transit_delay_s": 30,
                ][name]!
                var k: EpochMillis = 1
                // Interval k steps back ended (k - 1) × 5 minutes before t.
                while (k - 1) * 5 <= ttlMinutes {
                    if let r = knownContext(info.neighborhood, t - k * step, at: t), let v = r.values[name], let v {
                        value = v
                        break
                    }
                    k += 1
                }
            }
            out.append(value)
        }
        return out
    }

    /// Latest revision of the interval starting at t, whenever it arrived.
    func label(segment: String, at t: EpochMillis) -> (speed: Double?, flow: Double?) {
        var best: TrafficRevision?
        for r in trafficBySlot["\(segment)@\(t)"] ?? [] {
            if best == nil || r.revision > best!.revision { best = r }
        }
        return (best?.speed, best.map(\.flow))
    }
}
