import CablecarDomain

/// Parameters of a training run; recorded as run params so a run can be reproduced.
public struct ModelParameters: Codable, Sendable, Equatable {
    public var targets: [ForecastTarget]
    public var horizons: [Int]
    /// Ridge penalties tried; the one with the lowest validation MAE is kept.
    public var penaltyGrid: [Double]
    /// Fractions of the time range used for training and validation; the rest is the test period.
    public var trainFraction: Double
    public var validationFraction: Double
    /// Seed of any randomized step (none today: every step is deterministic); recorded so a
    /// future randomized model keeps runs reproducible.
    public var seed: UInt64
    /// Feature names holding the last observed speed / flow at issue time (the persistence
    /// baseline); the first one present in the snapshot wins. When none is present the label of
    /// the interval just before the issue time is used.
    public var lastSpeedFeatures: [String]
    public var lastFlowFeatures: [String]
    /// MAPE ignores actuals below this magnitude.
    public var mapeFloor: Double
    /// The city's IANA time zone: the historical average's time-of-week slots and the ridge's
    /// time-of-day terms follow its wall clock (see `LocalClock`). nil keys on UTC, as runs
    /// recorded before it did.
    public var timeZone: String?
    /// Boosted trees per target and horizon, fitted beside the ridge and served where they
    /// validate better (`DeviationTreeTrainer`); 0 fits none. nil (runs recorded before the
    /// trees) means `defaultDeviationTrees`.
    public var deviationTrees: Int?

    public static let defaultDeviationTrees = 150

    /// How many trees per target and horizon a run fits.
    public var treeCount: Int { deviationTrees ?? Self.defaultDeviationTrees }

    public init(
        targets: [ForecastTarget] = [.speed, .flow], horizons: [Int] = ForecastHorizons.standard,
        penaltyGrid: [Double] = [0.01, 0.1, 1, 10, 100, 1000, 10000], trainFraction: Double = 0.7,
        validationFraction: Double = 0.15, seed: UInt64 = 42,
        lastSpeedFeatures: [String] = ModelParameters.defaultLastSpeedFeatures,
        lastFlowFeatures: [String] = ModelParameters.defaultLastFlowFeatures, mapeFloor: Double = 1,
        timeZone: String? = nil, deviationTrees: Int? = nil
    ) {
        self.timeZone = timeZone
        self.deviationTrees = deviationTrees
        self.targets = targets
        self.horizons = horizons
        self.penaltyGrid = penaltyGrid
        self.trainFraction = trainFraction
        self.validationFraction = validationFraction
        self.seed = seed
        self.lastSpeedFeatures = lastSpeedFeatures
        self.lastFlowFeatures = lastFlowFeatures
        self.mapeFloor = mapeFloor
    }

    public static let defaultLastSpeedFeatures = [
        "speed_lag_1", "speed_kmh_last", "speed_last", "speed_kmh_lag_5m", "speed_lag_5m", "speed_kmh", "segment_speed_kmh",
    ]
    public static let defaultLastFlowFeatures = [
        "flow_lag_1", "flow_veh_h_last", "flow_last", "flow_veh_h_lag_5m", "flow_lag_5m", "flow_veh_h", "segment_flow_veh_h",
    ]

    public func validate() throws {
        guard !targets.isEmpty else { throw ForecastingError.invalidParameters("no targets") }
        guard !horizons.isEmpty, horizons.allSatisfy({ $0 > 0 && $0 % 5 == 0 && $0 <= 24 * 60 }) else {
            throw ForecastingError.invalidParameters("horizons must be positive multiples of 5 minutes up to a day")
        }
        guard !penaltyGrid.isEmpty, penaltyGrid.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ForecastingError.invalidParameters("the penalty grid needs positive finite values")
        }
        guard trainFraction > 0, validationFraction > 0, trainFraction + validationFraction < 1 else {
            throw ForecastingError.invalidParameters("train and validation fractions must be > 0 and sum below 1")
        }
        guard (0...2_000).contains(treeCount) else {
            throw ForecastingError.invalidParameters("deviation trees must be 0 to 2,000 per target and horizon")
        }
        _ = try clock()
    }

    /// The clock of `timeZone` (UTC when none is set).
    public func clock() throws -> LocalClock {
        guard let timeZone else { return .utc }
        do {
            return try LocalClock(identifier: timeZone)
        } catch {
            throw ForecastingError.invalidParameters("\(error)")
        }
    }
}
