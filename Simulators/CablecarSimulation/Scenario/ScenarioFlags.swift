import CablecarDomain

/// The command-line shorthand for scenario changes, so a drift can be tried without writing
/// a file. Each flag is `NEIGHBORHOODS:FROM_DAY:VALUE`, neighborhoods comma-separated:
///
///     --construction mission:2:1          1 lane closed on Mission's arterials from day 2
///     --demand-shift soma,mission-bay:1:1.3
///     --new-venue bayview:3:20000         a 20,000-seat venue in Bayview from day 3
///     --recalibrate loop.speed:2:0.85     loop speeds read 15% low from day 2 (all neighborhoods)
///     --recalibrate camera.count:1:1.2:sunset
public enum ScenarioFlags {
    public static func construction(_ text: String) throws -> ScenarioChange {
        let (hoods, day, value) = try split(text, flag: "--construction", example: "mission:2:1")
        guard let lanes = Int(value), lanes >= 1 else { throw bad("--construction", text, "lanes closed must be a whole number >= 1") }
        return ScenarioChange(kind: .construction, fromDay: day, neighborhoods: hoods, lanesClosed: lanes)
    }

    public static func demandShift(_ text: String) throws -> ScenarioChange {
        let (hoods, day, value) = try split(text, flag: "--demand-shift", example: "soma:1:1.3")
        guard let multiplier = Double(value), multiplier > 0 else { throw bad("--demand-shift", text, "multiplier must be > 0") }
        return ScenarioChange(kind: .demandShift, fromDay: day, neighborhoods: hoods, multiplier: multiplier)
    }

    public static func newVenue(_ text: String) throws -> ScenarioChange {
        let (hoods, day, value) = try split(text, flag: "--new-venue", example: "bayview:3:20000")
        guard hoods.count == 1, let hood = hoods.first else { throw bad("--new-venue", text, "name exactly one neighborhood") }
        guard let capacity = Int(value), capacity > 0 else { throw bad("--new-venue", text, "capacity must be a whole number > 0") }
        let venue = NewVenue(id: "new-venue-\(hood)", name: "New venue in \(hood)", neighborhood: hood, capacity: capacity)
        return ScenarioChange(kind: .newVenue, fromDay: day, venue: venue)
    }

    public static func recalibration(_ text: String) throws -> ScenarioChange {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 || parts.count == 4 else {
            throw bad("--recalibrate", text, "expected KIND.MEASURE:FROM_DAY:FACTOR[:NEIGHBORHOODS], e.g. loop.speed:2:0.85")
        }
        let target = parts[0].split(separator: ".").map(String.init)
        guard target.count == 2, let kind = SensorKind(rawValue: target[0]), let measure = ScenarioChange.Measure(rawValue: target[1])
        else {
            throw bad("--recalibrate", text, "KIND.MEASURE is loop.speed, loop.count or camera.count")
        }
        guard let day = Int(parts[1]), day >= 0 else { throw bad("--recalibrate", text, "FROM_DAY must be a whole number >= 0") }
        guard let factor = Double(parts[2]), factor > 0 else { throw bad("--recalibrate", text, "FACTOR must be > 0") }
        let hoods = parts.count == 4 ? parts[3].split(separator: ",").map(String.init) : nil
        return ScenarioChange(
            kind: .sensorRecalibration, fromDay: day, neighborhoods: hoods, sensorKind: kind, measure: measure, factor: factor)
    }

    private static func split(_ text: String, flag: String, example: String) throws -> ([String], Int, String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw bad(flag, text, "expected NEIGHBORHOODS:FROM_DAY:VALUE, e.g. \(example)") }
        let hoods = parts[0].split(separator: ",").map(String.init)
        guard !hoods.isEmpty else { throw bad(flag, text, "name at least one neighborhood") }
        guard let day = Int(parts[1]), day >= 0 else { throw bad(flag, text, "FROM_DAY must be a whole number >= 0") }
        return (hoods, day, parts[2])
    }

    private static func bad(_ flag: String, _ text: String, _ reason: String) -> SimulationError {
        .invalidScenario("\(flag) \(text): \(reason)")
    }
}
