import CablecarDomain
import CablecarSimulation
import Foundation

/// A simulated city's traffic as sensors would report it: the simulator's truth plus Gaussian
/// measurement noise of the size the observed values have (standard deviations `speedNoise`,
/// `flowNoise`), drawn from a seeded generator so a benchmark run is reproducible. The truth is
/// kept, keyed by segment and interval, for the noise floor.
struct NoisyObservations {
    var traffic: [TrafficObservation]
    var context: [ContextObservation]
    var truth: [TruthKey: (speed: Double?, flow: Double)]

    struct TruthKey: Hashable {
        var segment: String
        var time: EpochMillis
    }

    init(simulated: TruthObservations, speedNoise: Double, flowNoise: Double, seed: UInt64) {
        var random = SeededRandom(seed: seed &+ 7)
        var truth: [TruthKey: (speed: Double?, flow: Double)] = [:]
        traffic = simulated.traffic.map { state -> TrafficObservation in
            truth[TruthKey(segment: state.segmentID, time: state.eventTime)] = (state.speedKmh, state.flowVehiclesPerHour)
            var observed = state
            observed.flowVehiclesPerHour = max(0, state.flowVehiclesPerHour + flowNoise * Self.gaussian(&random))
            observed.speedKmh = state.speedKmh.map { max(1, $0 + speedNoise * Self.gaussian(&random)) }
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
