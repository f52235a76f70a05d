import CablecarDomain

/// A `FeatureSnapshotSource` that computes snapshots in-process from a given history: the
/// trainer's and the benchmarks' way to build training sets without the feature service. It
/// runs the same `FeatureComputer` the service runs, so its rows equal the service's.
public struct InProcessSnapshotSource: FeatureSnapshotSource {
    public let computer: FeatureComputer
    public let history: ObservationHistory

    public init(computer: FeatureComputer, history: ObservationHistory) {
        self.computer = computer
        self.history = history
    }

    /// From raw observations: availability assigned by `AvailabilityClock.assign` (arrival
    /// order = ingest time order; `.streamTime` policy by default, see its documentation).
    public init(
        city: CityDefinition, traffic: [TrafficObservation], context: [ContextObservation],
        policy: AvailabilityClock.Policy = .streamTime
    ) throws {
        let available = AvailabilityClock.assign(traffic: traffic, context: context, policy: policy)
        self.computer = try FeatureComputer(city: city)
        self.history = ObservationHistory(traffic: available.traffic, context: available.context)
    }

    public func snapshot(_ request: SnapshotRequest) async throws -> FeatureSnapshot {
        try computer.snapshot(request, history: history)
    }
}
