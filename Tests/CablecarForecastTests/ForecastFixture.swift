import CablecarDomain
import CablecarFeatures
import CablecarForecast
import CablecarForecasting
import Foundation

/// A small city with a daily speed and flow cycle per segment, the models fitted on it, and the
/// online vectors of its last step: what the serving tests register and serve.
enum ForecastFixture {
    static let monday: EpochMillis = 1_704_067_200_000  // 2024-01-01 00:00 UTC
    static let days = 8
    static let segments: [(id: String, neighborhood: String)] = [
        ("seg-a-1", "north"), ("seg-a-2", "north"), ("seg-b-1", "south"), ("seg-b-2", "south"),
    ]
    static let featureNames = ["speed_lag_1", "flow_lag_1"]
    static var end: EpochMillis { monday + EpochMillis(days) * 86_400_000 }
    /// The newest step of the snapshot: the serving tests issue their forecasts at it.
    static var lastStep: EpochMillis { end - Interval.lengthMillis }

    static var catalog: SegmentCatalog { SegmentCatalog(segments: segments, neighborhoodNames: ["north": "North Beach"]) }

    static func speed(_ segment: Int, _ t: EpochMillis, shift: Double) -> Double {
        let hour = Double((t / 60_000) % 1440) / 60
        let rush = exp(-pow((hour - 8.5) / 1.2, 2)) + exp(-pow((hour - 17.5) / 1.5, 2))
        return 40 + Double(segment) * 3 - 15 * rush + shift + sin(Double(t / 300_000) * 0.7)
    }

    static func flow(_ segment: Int, _ t: EpochMillis) -> Double {
        let hour = Double((t / 60_000) % 1440) / 60
        return 300 + 600 * exp(-pow((hour - 8.5) / 1.5, 2)) + Double(segment) * 20 + 10 * cos(Double(t / 300_000) * 0.3)
    }

    /// `shift` changes the data, so versions fitted with different shifts have different artifacts.
    static func snapshot(shift: Double = 0) -> FeatureSnapshot {
        let steps = days * 288
        var rows: [FeatureRow] = []
        for (index, segment) in segments.enumerated() {
            for k in 0..<steps {
                let t = monday + EpochMillis(k) * Interval.lengthMillis
                let previous = t - Interval.lengthMillis
                rows.append(
                    FeatureRow(
                        segmentID: segment.id, neighborhood: segment.neighborhood, timestamp: t,
                        values: k == 0 ? [nil, nil] : [speed(index, previous, shift: shift), flow(index, previous)],
                        actualSpeedKmh: speed(index, t, shift: shift), actualFlowVehiclesPerHour: flow(index, t)))
            }
        }
        return FeatureSnapshot(
            fingerprint: "forecast-fixture-\(shift)", request: SnapshotRequest(start: monday, end: end), featureNames: featureNames,
            featureVersions: ["speed_lag_1": 1, "flow_lag_1": 1], rows: rows)
    }

    static func model(shift: Double = 0) throws -> RidgeForecastModel {
        let parameters = ModelParameters(penaltyGrid: [1, 100])
        let data = try TrainingData(snapshot: snapshot(shift: shift), parameters: parameters)
        let split = try TimeSplit(
            start: data.start, end: data.end, stepMillis: data.stepMillis, trainFraction: parameters.trainFraction,
            validationFraction: parameters.validationFraction)
        return try RidgeForecastModel.fit(data, split: split, parameters: parameters)
    }

    /// The online answer at `step` for `segments` (default: all), as the feature store gives it.
    static func online(at step: EpochMillis = lastStep, segments wanted: [String]? = nil) -> OnlineFeatureResponse {
        var vectors: [OnlineFeatureVector] = []
        for (index, segment) in segments.enumerated() where wanted?.contains(segment.id) ?? true {
            let previous = step - Interval.lengthMillis
            vectors.append(
                OnlineFeatureVector(
                    segmentID: segment.id, neighborhood: segment.neighborhood, timestamp: step,
                    values: [speed(index, previous, shift: 0), flow(index, previous)]))
        }
        return OnlineFeatureResponse(
            featureNames: featureNames, featureVersions: ["speed_lag_1": 1, "flow_lag_1": 1], vectors: vectors, missing: [])
    }
}

/// An in-process feature source: answers what the test set, per segment.
final class StaticFeatureSource: FeatureSource, @unchecked Sendable {
    private let lock = NSLock()
    private var response: OnlineFeatureResponse
    private var failure: (any Error)?

    init(_ response: OnlineFeatureResponse = ForecastFixture.online()) { self.response = response }

    func set(_ response: OnlineFeatureResponse) { lock.withLock { self.response = response } }
    func fail(with error: (any Error)?) { lock.withLock { failure = error } }

    func online(segments: [String]) async throws -> OnlineFeatureResponse {
        let (current, failure) = lock.withLock { (response, self.failure) }
        if let failure { throw failure }
        let wanted = Set(segments)
        let vectors = current.vectors.filter { wanted.contains($0.segmentID) }
        let missing = segments.filter { segment in !vectors.contains { $0.segmentID == segment } }
        return OnlineFeatureResponse(
            featureNames: current.featureNames, featureVersions: current.featureVersions, vectors: vectors, missing: missing)
    }
}

/// Keeps what the forecaster logged, for tests that look at predictions without the broker.
final class MemorySink: PredictionSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Forecast] = []

    func record(_ predictions: [Forecast]) { lock.withLock { stored.append(contentsOf: predictions) } }
    var all: [Forecast] { lock.withLock { stored } }
}
