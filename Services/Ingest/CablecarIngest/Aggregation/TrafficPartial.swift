import CablecarDomain

/// Sums of one sensor's readings in one five-minute interval. Sums, not means, and exact ones
/// (`ExactSum`), so partials from several batches (and a late reading) add up to the same in any
/// order.
public struct SensorPartial: Sendable, Equatable {
    /// Vehicles per hour, summed over readings (`count × 3600 / interval_s`).
    public var rateSum: ExactSum = 0
    public var rateCount: Int = 0
    public var speedSum: ExactSum = 0
    public var speedCount: Int = 0
    public var occupancySum: ExactSum = 0
    public var occupancyCount: Int = 0

    public init() {}

    public init(
        rateSum: ExactSum, rateCount: Int, speedSum: ExactSum, speedCount: Int, occupancySum: ExactSum, occupancyCount: Int
    ) {
        self.rateSum = rateSum
        self.rateCount = rateCount
        self.speedSum = speedSum
        self.speedCount = speedCount
        self.occupancySum = occupancySum
        self.occupancyCount = occupancyCount
    }

    /// A loop reading contributes flow, speed and occupancy.
    public static func loop(_ reading: LoopDetectorReading) -> SensorPartial {
        SensorPartial(
            rateSum: ExactSum(Double(reading.vehicleCount) * 3600 / Double(reading.intervalSeconds)), rateCount: 1,
            speedSum: ExactSum(reading.speedKmh), speedCount: 1, occupancySum: ExactSum(reading.occupancy), occupancyCount: 1)
    }

    /// A camera counts motor vehicles (bicycles are not part of road flow).
    public static func camera(_ count: CameraCount) -> SensorPartial {
        SensorPartial(
            rateSum: ExactSum(Double(count.motorVehicles) * 3600 / Double(count.intervalSeconds)), rateCount: 1,
            speedSum: 0, speedCount: 0, occupancySum: 0, occupancyCount: 0)
    }

    public mutating func add(_ other: SensorPartial) {
        rateSum += other.rateSum
        rateCount += other.rateCount
        speedSum += other.speedSum
        speedCount += other.speedCount
        occupancySum += other.occupancySum
        occupancyCount += other.occupancyCount
    }
}

/// Turns one segment-interval's sums into its observation.
///
/// Every sensor covers all lanes of its segment (docs/scenarios.md), so flow is the mean over
/// sensors of each sensor's mean count rate — not their sum. Speed and occupancy are plain means
/// over loop readings, which is what the ground truth's minute means correspond to.
public enum TrafficAggregation {
    public static func observation(
        segmentID: String, neighborhood: String, intervalStart: EpochMillis, partials: [SensorPartial], revision: Int,
        ingestTime: EpochMillis
    ) -> TrafficObservation? {
        observation(
            segmentID: segmentID, neighborhood: neighborhood, intervalStart: intervalStart, sums: IntervalSums(partials),
            revision: revision, ingestTime: ingestTime)
    }

    public static func observation(
        segmentID: String, neighborhood: String, intervalStart: EpochMillis, sums: IntervalSums, revision: Int, ingestTime: EpochMillis,
        knownAt: EpochMillis? = nil
    ) -> TrafficObservation? {
        guard sums.reportingSensors > 0 else { return nil }
        let flow = sums.flowMeanSum.value / Double(sums.reportingSensors)
        let speed = sums.speedCount > 0 ? sums.speedSum.value / Double(sums.speedCount) : nil
        let occupancy = sums.occupancyCount > 0 ? sums.occupancySum.value / Double(sums.occupancyCount) : nil
        return TrafficObservation(
            segmentID: segmentID, neighborhood: neighborhood, eventTime: intervalStart, flowVehiclesPerHour: rounded(flow, 1),
            speedKmh: speed.map { rounded($0, 2) }, occupancy: occupancy.map { rounded($0, 4) },
            sampleCount: sums.sampleCount, revision: revision, ingestTime: ingestTime, knownAt: knownAt)
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
