import CablecarDomain
import CablecarFeatures
import CablecarSimulation
import CablecarTestSupport
import Foundation

/// A simulated stretch of the bundled city turned into a feature snapshot the production way:
/// simulator ground truth → observations → CablecarFeatures' point-in-time computer → snapshot.
/// Built once per test process (a month takes a while) and shared.
enum SimulatedCity {
    static let days = 28
    /// 15-minute instants keep the month's snapshot small enough for a unit test (the benchmark
    /// uses every five-minute instant); 15/30/60-minute horizons are whole steps either way.
    static let step: EpochMillis = 15 * 60_000

    struct Month: Sendable {
        var city: CityDefinition
        var source: InProcessSnapshotSource
        var request: SnapshotRequest
    }

    static let month: Result<Month, any Error> = Result {
        let city = try CityDefinition.bundledDefault()
        let configuration = SimulationConfiguration(city: city, days: days, seed: 11)
        let observations = try TruthObservations.simulate(configuration)
        let source = try InProcessSnapshotSource(city: city, traffic: observations.traffic, context: observations.context)
        let first = observations.traffic.map(\.eventTime).min() ?? 0
        let last = observations.traffic.map(\.eventTime).max() ?? 0
        let start = (first / step + 1) * step
        let end = (last / step) * step
        return Month(city: city, source: source, request: SnapshotRequest(start: start, end: end, stepMillis: step))
    }

    /// Simulated and computed on a thread of its own (a month is minutes of CPU in a debug build).
    /// `days`: the month's first days only (nil: all of it).
    static func snapshot(days: Int? = nil) async throws -> FeatureSnapshot {
        try await onItsOwnThread("simulated-month") {
            let month = try month.get()
            var request = month.request
            if let days {
                request.end = min(request.end, request.start + EpochMillis(days) * 86_400_000)
            }
            return try await month.source.snapshot(request)
        }
    }
}
