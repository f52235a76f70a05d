import CablecarDomain

/// Train / validation / test periods of a time range, in that order (later data is never used to
/// fit a model scored on earlier data; nothing is shuffled).
public struct TimeSplit: Sendable, Equatable, Codable {
    public var train: Range<EpochMillis>
    public var validation: Range<EpochMillis>
    public var test: Range<EpochMillis>

    public init(train: Range<EpochMillis>, validation: Range<EpochMillis>, test: Range<EpochMillis>) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Cuts `[start, end)` by fractions, on whole days when the range spans at least 7 days (so
    /// each period holds complete daily cycles), otherwise on whole steps.
    public init(start: EpochMillis, end: EpochMillis, stepMillis: EpochMillis, trainFraction: Double, validationFraction: Double)
        throws
    {
        let day: EpochMillis = 24 * 3600 * 1000
        let grain = end - start >= 7 * day ? day : stepMillis
        let total = (end - start) / grain
        let trainUnits = EpochMillis((Double(total) * trainFraction).rounded())
        let validationUnits = EpochMillis((Double(total) * validationFraction).rounded())
        guard trainUnits >= 1, validationUnits >= 1, trainUnits + validationUnits < total else {
            throw ForecastingError.invalidSnapshot(
                "time range \(start)..<\(end) is too short to split into train, validation and test periods")
        }
        let trainEnd = start + trainUnits * grain
        let validationEnd = trainEnd + validationUnits * grain
        self.init(train: start..<trainEnd, validation: trainEnd..<validationEnd, test: validationEnd..<end)
    }

    /// Train and validation together: what the final model is fitted on.
    public var fitting: Range<EpochMillis> { train.lowerBound..<validation.upperBound }
}
