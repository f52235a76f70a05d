import CablecarDomain

/// How often each feed reports. Sensor intervals must divide five minutes so that every
/// reading falls inside one observation interval.
public struct FeedRates: Codable, Sendable, Equatable {
    public var loopIntervalSeconds: Int
    public var cameraIntervalSeconds: Int
    public var gpsIntervalSeconds: Int
    public var weatherIntervalMinutes: Int

    public init(
        loopIntervalSeconds: Int = 60, cameraIntervalSeconds: Int = 60, gpsIntervalSeconds: Int = 30, weatherIntervalMinutes: Int = 10
    ) {
        self.loopIntervalSeconds = loopIntervalSeconds
        self.cameraIntervalSeconds = cameraIntervalSeconds
        self.gpsIntervalSeconds = gpsIntervalSeconds
        self.weatherIntervalMinutes = weatherIntervalMinutes
    }

    func validate() throws {
        for (name, seconds) in [("loop", loopIntervalSeconds), ("camera", cameraIntervalSeconds)]
        where seconds < 10 || 300 % seconds != 0 {
            throw SimulationError.invalidConfiguration(
                "\(name) interval \(seconds) s must be at least 10 s and divide 300 s (e.g. 30 or 60)")
        }
        guard gpsIntervalSeconds >= 5, 60 % gpsIntervalSeconds == 0 else {
            throw SimulationError.invalidConfiguration("GPS interval \(gpsIntervalSeconds) s must divide 60 s (e.g. 15, 20 or 30)")
        }
        guard weatherIntervalMinutes >= 1, 1440 % weatherIntervalMinutes == 0 else {
            throw SimulationError.invalidConfiguration("weather interval \(weatherIntervalMinutes) min must divide a day")
        }
    }
}

/// Everything that determines a run's output. Same configuration, same bytes.
public struct SimulationConfiguration: Sendable {
    public var city: CityDefinition
    public var start: LocalDate
    public var days: Int
    public var seed: UInt64
    public var scenario: Scenario
    public var faults: FaultConfiguration
    public var rates: FeedRates

    public init(
        city: CityDefinition, start: LocalDate = LocalDate(year: 2025, month: 3, day: 3), days: Int = 1, seed: UInt64 = 1,
        scenario: Scenario = .baseline, faults: FaultConfiguration = .none, rates: FeedRates = FeedRates()
    ) {
        self.city = city
        self.start = start
        self.days = days
        self.seed = seed
        self.scenario = scenario
        self.faults = faults
        self.rates = rates
    }
}
