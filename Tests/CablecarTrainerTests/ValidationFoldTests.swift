import CablecarDomain
import CablecarForecasting
import Testing

/// Penalties and the loss are judged on the validation day and on whole training days of other
/// kinds, weekdays and weekend days weighted as a week has them.
@Suite struct ValidationFoldTests {
    static let day: EpochMillis = 86_400_000
    static let start = SyntheticSnapshot.monday

    @Test func aSplitOnWholeDaysJudgesOnTheValidationDayAndThreeTrainingDays() throws {
        let split = try TimeSplit(
            start: Self.start, end: Self.start + 28 * Self.day, stepMillis: Interval.lengthMillis, trainFraction: 0.7,
            validationFraction: 0.15)
        let folds = split.validationFolds()
        #expect(folds.count == 4)
        #expect(folds.first == split.validation)
        for fold in folds.dropFirst() {
            #expect(fold.upperBound - fold.lowerBound == Self.day)
            #expect(split.train.contains(fold.lowerBound) && fold.upperBound <= split.train.upperBound)
            #expect((fold.lowerBound - Self.start) % Self.day == 0, "on day boundaries")
        }
        let weekdays = Set(folds.map { Interval.slotOfWeek($0.lowerBound) / 288 })
        #expect(weekdays.count == 4, "four different days of the week: \(weekdays)")
        #expect(Set(folds.map(\.lowerBound)).count == folds.count, "no day twice")
    }

    @Test func aShortTrainingPeriodGivesFewerFoldsAndAStepSplitOnlyItsValidation() throws {
        let week = try TimeSplit(
            start: Self.start, end: Self.start + 8 * Self.day, stepMillis: Interval.lengthMillis, trainFraction: 0.4,
            validationFraction: 0.15)
        #expect(week.train.upperBound - week.train.lowerBound == 3 * Self.day)
        #expect(week.validationFolds().count == 3, "validation plus two of the three training days")
        #expect(week.validationFolds(extraDays: 0) == [week.validation])

        let hours = try TimeSplit(
            start: Self.start, end: Self.start + 2 * Self.day, stepMillis: Interval.lengthMillis, trainFraction: 0.7,
            validationFraction: 0.15)
        #expect(hours.validationFolds() == [hours.validation], "a split on steps keeps its one validation period")
    }

    /// Two weekend days and two weekdays among the folds count like a week: the weekend's
    /// errors weigh 2/7 however many of its rows there are.
    @Test func foldErrorsWeighWeekdaysAndWeekendsAsAWeekDoes() {
        var errors = WeekWeightedErrors()
        #expect(errors.mae == nil)
        for _ in 0..<10 { errors.add(predicted: 1, actual: 0, weekend: true) }
        #expect(errors.mae == 1, "only weekend rows: their MAE")
        errors.add(predicted: 10, actual: 3, weekend: false)
        errors.add(predicted: 0, actual: 7, weekend: false)
        #expect(abs((errors.mae ?? 0) - (5 * 7 + 2 * 1) / 7.0) < 1e-12)
        for _ in 0..<1_000 { errors.add(predicted: 1, actual: 0, weekend: true) }
        #expect(abs((errors.mae ?? 0) - (5 * 7 + 2 * 1) / 7.0) < 1e-12, "more weekend rows do not move the weights")
        errors.add(predicted: .nan, actual: 0, weekend: false)
        #expect(errors.weekday.masked == 1)
    }
}
