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

    /// The periods a model's penalties are judged on: the validation period first, then, when
    /// the split is on whole days, up to `extraDays` whole days of the training period, evenly
    /// spaced back from its end. One validation day chose penalties for a day of another kind (a
    /// Saturday's flat traffic favoured the heaviest penalty, which then lost to persistence on
    /// the weekdays served); days of several kinds choose for the week.
    public func validationFolds(extraDays: Int = 3) -> [Range<EpochMillis>] {
        let day: EpochMillis = 86_400_000
        var folds = [validation]
        let trainDays = (train.upperBound - train.lowerBound) / day
        let wholeDays = (validation.upperBound - validation.lowerBound) % day == 0 && (train.upperBound - train.lowerBound) % day == 0
        let count = min(extraDays, Int(trainDays) - 1)
        guard wholeDays, count > 0 else { return folds }
        let spacing = max(1, trainDays / EpochMillis(count + 1))
        for k in 0..<count {
            let end = train.upperBound - EpochMillis(k) * spacing * day
            folds.append((end - day)..<end)
        }
        return folds
    }
}
