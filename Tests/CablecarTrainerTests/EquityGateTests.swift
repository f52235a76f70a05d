import CablecarDomain
import CablecarForecasting
import Foundation
import Testing

/// A model that is another model plus a constant error in one neighborhood: a candidate that is
/// better overall than production but clearly worse in that neighborhood.
struct SkewedModel: ForecastModel {
    static let kind = "skewed-test-model"
    var base: RidgeForecastModel
    var neighborhood: String
    var bias: Double

    var featureNames: [String] { base.featureNames }
    var targets: [ForecastTarget] { base.targets }
    var horizons: [Int] { base.horizons }

    static func fit(_ data: TrainingData, split: TimeSplit, parameters: ModelParameters) throws -> Self {
        throw ForecastingError.invalidParameters("test model: build it from a fitted ridge")
    }

    func predict(_ input: ModelInput, target: ForecastTarget, horizonMinutes: Int) -> Double? {
        guard let value = base.predict(input, target: target, horizonMinutes: horizonMinutes) else { return nil }
        return input.neighborhood == neighborhood ? value + bias : value
    }

    func artifact() throws -> [UInt8] { try base.artifact() }
    static func load(artifact: [UInt8]) throws -> Self {
        throw ForecastingError.invalidArtifact("test model has no artifact of its own")
    }
}

@Suite struct EquityGateTests {
    @Test func theEquityGateBlocksACandidateBetterOverallButClearlyWorseInOneNeighborhood() async throws {
        let parameters = ModelParameters(targets: [.speed])
        let data = try TrainingData(
            snapshot: SyntheticSnapshot.make(neighborhoods: ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]),
            parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        let ridge = try RidgeForecastModel.fit(data, split: split, parameters: parameters)
        // Production: the historical average (a weaker model, so the candidate wins overall).
        let production = try HistoricalAverageModel.fit(data, split: split, parameters: parameters)
        let candidate = SkewedModel(base: ridge, neighborhood: "Gamma", bias: 1.5)
        let report = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [
                (.candidate, candidate), (.historicalAverage, production),
                (.persistence, try PersistenceModel.fit(data, split: split, parameters: parameters)),
                (.production, production),
            ],
            targets: [.speed], horizons: parameters.horizons)
        let verdict = PromotionGate.evaluate(report)
        print(EvaluationTable.render(report, verdict: verdict))
        for horizon in parameters.horizons {
            let overall = try #require(report.errors(.candidate, .speed, horizon)?.mae)
            let productionOverall = try #require(report.errors(.production, .speed, horizon)?.mae)
            #expect(overall < productionOverall, "better overall at h\(horizon)")
            let gamma = try #require(report.errors(.candidate, .speed, horizon, neighborhood: "Gamma")?.mae)
            let gammaProduction = try #require(report.errors(.production, .speed, horizon, neighborhood: "Gamma")?.mae)
            #expect(gamma > gammaProduction * 1.05, "clearly worse in Gamma at h\(horizon)")
            let equity = verdict.checks.first { $0.name == "equity vs production speed_kmh h\(horizon)" }
            #expect(equity?.passed == false)
            #expect(equity?.detail.contains("Gamma") == true)
            #expect(verdict.checks.first { $0.name == "vs production speed_kmh h\(horizon)" }?.passed == true)
            let paired = try #require(report.pairedComparison(.speed, horizon, neighborhood: "Gamma"))
            let critical = PairedComparison.criticalZ(alpha: 0.05, tests: parameters.horizons.count * 8)
            #expect(paired.blocks >= 24 && (paired.zScore ?? 0) > critical, "a 1.5 km/h skew is beyond the hourly noise: \(paired)")
        }
        #expect(!verdict.passed)

        // The same candidate without the skew passes every gate.
        let fair = ModelEvaluator.evaluate(
            data: data, period: split.test,
            models: [
                (.candidate, ridge), (.historicalAverage, production),
                (.persistence, try PersistenceModel.fit(data, split: split, parameters: parameters)),
                (.production, production),
            ],
            targets: [.speed], horizons: parameters.horizons)
        #expect(PromotionGate.evaluate(fair).passed, "\(PromotionGate.evaluate(fair).summary)")

        // The same model as candidate and production: no difference, hour by hour.
        let twin = ModelEvaluator.evaluate(
            data: data, period: split.test, models: [(.candidate, ridge), (.production, ridge)], targets: [.speed],
            horizons: [15])
        #expect(twin.pairedComparison(.speed, 15, neighborhood: "Gamma")?.meanDifference == 0)
        #expect(twin.pairedComparison(.speed, 15, neighborhood: nil) != nil, "and for the whole city")
    }
}
