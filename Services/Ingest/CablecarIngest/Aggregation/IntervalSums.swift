/// What one segment-interval's observation is computed from, summed over its sensors.
///
/// Flow is a mean of per-sensor means, which does not add up across batches by itself; keeping
/// the sum of the sensors' current means (and adjusting it by the change of a sensor's mean when
/// its partial grows) makes it additive. Postgres keeps these sums on the interval's row, updated
/// in the statement that adds the partials (`AggregateStore.addTraffic`), so emitting an interval
/// reads one row instead of every sensor's partial.
public struct IntervalSums: Sendable, Equatable {
    /// Sum over reporting sensors of `rateSum / rateCount` (each rounded by `ExactSum.mean`).
    public var flowMeanSum: ExactSum = 0
    /// Sensors with at least one rate sample.
    public var reportingSensors: Int = 0
    /// Rate samples over all sensors (the observation's `sampleCount`).
    public var sampleCount: Int = 0
    public var speedSum: ExactSum = 0
    public var speedCount: Int = 0
    public var occupancySum: ExactSum = 0
    public var occupancyCount: Int = 0

    public init() {}

    /// The sums of complete per-sensor partials (the reference the stored sums must match).
    public init(_ partials: [SensorPartial]) {
        for partial in partials {
            if partial.rateCount > 0 {
                flowMeanSum += ExactSum.mean(partial.rateSum, count: partial.rateCount)
                reportingSensors += 1
                sampleCount += partial.rateCount
            }
            speedSum += partial.speedSum
            speedCount += partial.speedCount
            occupancySum += partial.occupancySum
            occupancyCount += partial.occupancyCount
        }
    }
}
