import CablecarDomain
import CablecarForecasting
import Testing

/// Penalties are judged on the validation day and on whole training days of other kinds.
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
}
