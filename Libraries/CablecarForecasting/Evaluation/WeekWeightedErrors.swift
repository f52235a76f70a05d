import CablecarNumerics

/// Absolute errors pooled with weekdays and weekend days weighted as a week has them (5 : 2),
/// whatever mix of days they come from. Model choices pooled over validation days use it: one
/// week of fitting data often leaves half of its validation days on a weekend, and plain pooling
/// then chose for the weekend's flat traffic (a heavy penalty, and absolute-error loss, that
/// missed weekday ramps).
public struct WeekWeightedErrors: Sendable, Equatable {
    public private(set) var weekday = ErrorAccumulator()
    public private(set) var weekend = ErrorAccumulator()

    public init() {}

    public mutating func add(predicted: Double, actual: Double, weekend isWeekend: Bool) {
        if isWeekend {
            weekend.add(predicted: predicted, actual: actual)
        } else {
            weekday.add(predicted: predicted, actual: actual)
        }
    }

    /// `(5 · weekday MAE + 2 · weekend MAE) / 7`, or the one day type's MAE when only it has
    /// errors; nil without any.
    public var mae: Double? {
        switch (weekday.mae, weekend.mae) {
        case (let weekday?, let weekend?): return (5 * weekday + 2 * weekend) / 7
        case (let weekday?, nil): return weekday
        case (nil, let weekend?): return weekend
        case (nil, nil): return nil
        }
    }
}
