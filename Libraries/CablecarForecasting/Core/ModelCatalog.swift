/// Loads any Cablecar model artifact by the kind its envelope names — how the trainer reads the
/// production model it compares against, and how the forecast service will load what it serves.
public enum ModelCatalog {
    public static let kinds: [any ForecastModel.Type] = [
        RidgeForecastModel.self, HistoricalAverageModel.self, PersistenceModel.self,
    ]

    public static func load(artifact: [UInt8]) throws -> any ForecastModel {
        let kind = try ArtifactCodec.kind(of: artifact)
        guard let type = kinds.first(where: { $0.kind == kind }) else {
            throw ForecastingError.invalidArtifact("unknown model kind '\(kind)'")
        }
        return try type.load(artifact: artifact)
    }
}
