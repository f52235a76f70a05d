import CablecarDomain
import CablecarSimulation
import Foundation

/// A simulated city's traffic as sensors would report it: the simulator's truth plus Gaussian
/// measurement noise of the size the observed values have (standard deviations `speedNoise`,
/// `flowNoise`), drawn from a seeded generator so a benchmark run is reproducible. The truth is
/// kept, keyed by segment and interval, for the noise floor. Occupancy is reported only where
/// the city has a loop detector (146 of the bundled city's 252 segments), with the noise of the
/// simulator's loops (`occupancyNoise`) from a generator of its own, so that the speed and flow
/// draws are the same with or without it.
struct NoisyObservations {
    /// Relative standard deviation of an interval's occupancy: a loop reading is off by 8 %
    /// (log-normal, `SimulationEngine.emitLoop`) and an interval averages five one-minute readings.
    static let occupancyNoise = 0.08 / 5.0.squareRoot()

    var traffic: [TrafficObservation]
    var context: [ContextObservation]
    var truth: [TruthKey: (speed: Double?, flow: Double)]

    struct TruthKey: Hashable {
        var segment: String
        var time: EpochMillis
    }

    init(simulated: TruthObservations, city: CityDefinition, speedNoise: Double, flowNoise: Double, seed: UInt64) {
        let loopSegments = Set(city.sensors.filter { $0.kind == .loopDetector }.map(\.segment))
        var random = SeededRandom(seed: seed &+ 7)
        var occupancyRandom = SeededRandom(seed: seed &+ 11)
        var truth: [TruthKey: (speed: Double?, flow: Double)] = [:]
        traffic = simulated.traffic.map { state -> TrafficObservation in
            truth[TruthKey(segment: state.segmentID, time: state.eventTime)] = (state.speedKmh, state.flowVehiclesPerHour)
            var observed = state
            observed.flowVehiclesPerHour = max(0, state.flowVehiclesPerHour + flowNoise * Self.gaussian(&random))
            observed.speedKmh = state.speedKmh.map { max(1, $0 + speedNoise * Self.gaussian(&random)) }
            if loopSegments.contains(state.segmentID), let occupancy = state.occupancy {
                observed.occupancy = min(1, max(0, occupancy * exp(Self.occupancyNoise * Self.gaussian(&occupancyRandom))))
            } else {
                observed.occupancy = nil
            }
            return observed
        }
        context = simulated.context
        self.truth = truth
    }

    private static func gaussian(_ random: inout SeededRandom) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random)
        let v = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
