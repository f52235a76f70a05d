import CablecarDomain
import CablecarDrift
import CablecarFeatures
import CablecarForecasting
import Testing

@testable import CablecarTrainer

/// The drift reference: observed features summarized, calendar features left out, context
/// features report-only, and the model's predictions per target and horizon.
@Suite struct ReferenceProfileBuilderTests {
    @Test func summarizesTheFittingPeriodPerNeighborhood() throws {
        let snapshot = SyntheticSnapshot.make(days: 8)
        let parameters = ModelParameters(targets: [.speed, .flow], horizons: [15, 60])
        let data = try TrainingData(snapshot: snapshot, parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: 0.7, validationFraction: 0.15)
        let model = try PersistenceModel.fit(data, split: split, parameters: parameters)
        // The snapshot's first feature plays a context feature, its second a calendar feature.
        let context = try #require(FeatureCatalog.current.first { $0.sourceTopic == .observedContext })
        let calendar = try #require(FeatureCatalog.current.first { $0.sourceTopic == nil })
        var asContext = context
        asContext.name = "speed_kmh_last"
        var asCalendar = calendar
        asCalendar.name = "flow_veh_h_last"

        let profile = ReferenceProfileBuilder.build(
            data: data, period: split.fitting, model: model, targets: [.speed, .flow], horizons: [15, 60],
            catalog: [asContext, asCalendar])
        #expect(profile.neighborhoods.keys.sorted() == ["Alpha", "Beta", "Gamma"])
        #expect(profile.reportOnly == ["speed_kmh_last"])
        let alpha = try #require(profile.neighborhoods["Alpha"])
        #expect(
            alpha.keys.sorted() == [
                "prediction.flow_veh_h.h15", "prediction.flow_veh_h.h60", "prediction.speed_kmh.h15", "prediction.speed_kmh.h60",
                "speed_kmh_last", "speed_kmh_mean_1h",
            ])
        // Two segments x the fitting period's steps (7 of 8 days: whole days once a week is spanned).
        let fittingRows = snapshot.rows.filter { $0.neighborhood == "Alpha" && split.fitting.contains($0.timestamp) }
        let hourly = try #require(alpha["speed_kmh_mean_1h"])
        #expect(hourly.count + hourly.missing == fittingRows.count)
        let expectedMean =
            fittingRows.compactMap { $0.values[2] }.reduce(0, +) / Double(fittingRows.compactMap { $0.values[2] }.count)
        #expect(abs(hourly.mean - expectedMean) < 1e-9)
        #expect(alpha.values.allSatisfy { $0.isValid })
        let loaded = try ReferenceProfile.load(try profile.jsonBytes())
        #expect(loaded == profile)
    }
}
