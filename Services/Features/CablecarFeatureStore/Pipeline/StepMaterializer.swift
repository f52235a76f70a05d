import CablecarDomain
import CablecarFeatures
import Logging
import PostgresNIO

/// Computes and stores the rows of completed steps. The streaming path and backfill both go
/// through here (and through the one `FeatureComputer`), so a step written live and the same
/// step backfilled are the same bytes.
package struct StepMaterializer: Sendable {
    let computer: FeatureComputer

    package init(computer: FeatureComputer) { self.computer = computer }

    var featureSet: String { computer.featureSetID }

    func rows(for steps: [EpochMillis], history: ObservationHistory) -> [FeatureRow] {
        computer.rows(instants: steps, history: history)
    }

    func write(_ rows: [FeatureRow], online: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        try await RowStore.writeOffline(rows, featureSet: featureSet, on: connection, logger: logger)
        if online { try await RowStore.writeOnline(rows, featureSet: featureSet, on: connection, logger: logger) }
    }
}
