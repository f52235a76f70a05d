import CablecarDomain
import CablecarFeatures
import CablecarForecasting
import CablecarService
import Foundation
import Logging

/// Turns a validated query into predictions: one model snapshot per request, features from the
/// online store, the historical average where the model cannot answer, and every prediction
/// (returned, shadow and fallback) handed to the prediction log without waiting for it.
public final class Forecaster: Sendable {
    public let holder: ModelHolder
    let features: any FeatureSource
    let sink: any PredictionSink
    let catalog: SegmentCatalog
    let clock: ServingClock
    let maxFeatureAge: EpochMillis
    let logger: Logger

    public init(
        holder: ModelHolder, features: any FeatureSource, sink: any PredictionSink, catalog: SegmentCatalog, clock: ServingClock,
        maxFeatureAgeMillis: EpochMillis, logger: Logger
    ) {
        self.holder = holder
        self.features = features
        self.sink = sink
        self.catalog = catalog
        self.clock = clock
        self.maxFeatureAge = maxFeatureAgeMillis
        self.logger = logger
    }

    public func forecast(_ query: ForecastQuery) async throws -> ForecastAnswer {
        let started = ContinuousClock.now
        let set = holder.current
        guard let production = set.production else {
            throw ServiceError.unavailable(
                "no model to serve: \(set.unavailableReason ?? "none loaded"); the service answers once a version is in production")
        }
        var pinned: LoadedModel?
        if let version = query.pinnedVersion {
            guard let model = set.loaded(version: version) else {
                throw ServiceError.notFound(
                    "version \(version) of '\(production.name)' is not served here (production is \(production.version))",
                    code: "unknown_version")
            }
            pinned = model
        }
        var batch = FeatureBatch.empty
        var featureFailure: FallbackReason?
        do {
            batch = FeatureBatch(try await features.online(segments: query.segments))
        } catch {
            featureFailure = .featuresUnavailable
            logger.warning("Online features unavailable; answering with the historical average", metadata: ["error": "\(error)"])
        }
        let issueTime = clock.issueTime(newestFeatureStep: batch.newestStep)
        var alignments: [Int: FeatureAlignment] = [:]
        func alignment(_ model: LoadedModel) -> FeatureAlignment {
            if let known = alignments[model.version] { return known }
            let made = FeatureAlignment(modelFeatures: model.model.featureNames, snapshotFeatures: batch.featureNames)
            alignments[model.version] = made
            return made
        }

        var items: [ForecastItem] = []
        items.reserveCapacity(query.segments.count * query.horizons.count)
        var records: [Forecast] = []
        records.reserveCapacity(items.capacity)
        var fallbacks: [FallbackReason: Int] = [:]
        var baselineAnswers: [String: Int] = [:]
        for segment in query.segments {
            let route: ModelSet.Route
            if let pinned {
                route = ModelSet.Route(primary: pinned, role: pinned.version == production.version ? .production : .canary, shadow: nil)
            } else if let routed = set.route(segment) {
                route = routed
            } else {
                continue
            }
            let vector = batch.vectors[segment]
            let neighborhood = vector?.neighborhood ?? catalog.neighborhoodOf[segment] ?? ""
            var segmentReason = featureFailure
            if segmentReason == nil {
                if let vector {
                    if vector.values.count != batch.featureNames.count {
                        segmentReason = .featuresMissing
                    } else if !ServingClock.plausible(vector.timestamp) || issueTime - vector.timestamp > maxFeatureAge {
                        segmentReason = .featuresStale
                    }
                } else {
                    segmentReason = .featuresMissing
                }
            }
            let baseline = route.primary.baseline ?? production.baseline
            // The served feature values go with the first prediction the model makes for the
            // segment (one row per segment and request, for the monitor's drift profiles).
            var servedFeatures = segmentReason == nil ? vector.map { Self.namedValues($0, names: batch.featureNames) } : nil
            for horizon in query.horizons {
                let targetTime = issueTime + EpochMillis(horizon) * 60_000
                var reason = segmentReason
                var values: [ForecastTarget: Double] = [:]
                if reason == nil, let vector {
                    let input = Self.input(vector, batch: batch, alignment: alignment(route.primary), issueTime: issueTime)
                    for target in query.targets {
                        guard let value = route.primary.model.predict(input, target: target, horizonMinutes: horizon), value.isFinite else {
                            reason = .modelFailed
                            break
                        }
                        values[target] = value
                    }
                }
                let baseSpeed = baseline?.value(.speed, segmentID: segment, targetTime: targetTime)
                let baseFlow = baseline?.value(.flow, segmentID: segment, targetTime: targetTime)
                if let reason {
                    fallbacks[reason, default: 0] += 1
                    values = [:]
                    if query.targets.contains(.speed), let baseSpeed { values[.speed] = baseSpeed }
                    if query.targets.contains(.flow), let baseFlow { values[.flow] = baseFlow }
                }
                let role: Forecast.Role = reason == nil ? route.role : .fallback
                var servedBy: [ForecastTarget: String] = [:]
                if reason == nil {
                    for target in query.targets {
                        if let baseline = route.primary.model.servedBaseline(
                            neighborhood: neighborhood, target: target, horizonMinutes: horizon)
                        {
                            servedBy[target] = baseline.rawValue
                            baselineAnswers[baseline.rawValue, default: 0] += 1
                        }
                    }
                }
                items.append(
                    ForecastItem(
                        segmentID: segment, neighborhood: neighborhood, horizonMinutes: horizon, issueTime: issueTime,
                        targetTime: targetTime,
                        featureStep: vector?.timestamp, speedKmh: values[.speed], flowVehiclesPerHour: values[.flow],
                        modelName: route.primary.name, modelVersion: route.primary.version, role: role.rawValue, fallback: reason != nil,
                        fallbackReason: reason?.rawValue, speedServedBy: servedBy[.speed], flowServedBy: servedBy[.flow]))
                records.append(
                    Forecast(
                        requestID: query.requestID, segmentID: segment, neighborhood: neighborhood, eventTime: issueTime,
                        horizonMinutes: horizon, predictedSpeedKmh: values[.speed], predictedFlowVehiclesPerHour: values[.flow],
                        modelName: route.primary.name, modelVersion: route.primary.version, role: role, featureStep: vector?.timestamp,
                        fallbackReason: reason?.rawValue, baselineSpeedKmh: baseSpeed, baselineFlowVehiclesPerHour: baseFlow,
                        features: reason == nil ? servedFeatures : nil))
                if reason == nil { servedFeatures = nil }
                if let shadow = route.shadow, segmentReason == nil, let vector {
                    let input = Self.input(vector, batch: batch, alignment: alignment(shadow), issueTime: issueTime)
                    var shadowValues: [ForecastTarget: Double] = [:]
                    for target in query.targets {
                        if let value = shadow.model.predict(input, target: target, horizonMinutes: horizon), value.isFinite {
                            shadowValues[target] = value
                        }
                    }
                    records.append(
                        Forecast(
                            requestID: query.requestID, segmentID: segment, neighborhood: neighborhood, eventTime: issueTime,
                            horizonMinutes: horizon, predictedSpeedKmh: shadowValues[.speed],
                            predictedFlowVehiclesPerHour: shadowValues[.flow], modelName: shadow.name, modelVersion: shadow.version,
                            role: .shadow, featureStep: vector.timestamp,
                            fallbackReason: shadowValues.count == query.targets.count ? nil : FallbackReason.modelFailed.rawValue,
                            baselineSpeedKmh: baseSpeed, baselineFlowVehiclesPerHour: baseFlow))
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let micros = Int(elapsed.inMicroseconds)
        var byRole: [Forecast.Role: Int] = [:]
        for index in records.indices {
            records[index].latencyMicros = micros
            byRole[records[index].role, default: 0] += 1
        }
        sink.record(records)
        for (role, count) in byRole { ForecastMetrics.predictions(role.rawValue, count: count) }
        for (reason, count) in fallbacks { ForecastMetrics.fallback(reason, count: count) }
        for (baseline, count) in baselineAnswers { ForecastMetrics.baselineAnswers(baseline, count: count) }
        return ForecastAnswer(requestID: query.requestID, issueTime: issueTime, featureStep: batch.newestStep, forecasts: items)
    }

    static func namedValues(_ vector: OnlineFeatureVector, names: [String]) -> [String: Double] {
        var named: [String: Double] = [:]
        named.reserveCapacity(names.count)
        for (name, value) in zip(names, vector.values) {
            if let value, value.isFinite { named[name] = value }
        }
        return named
    }

    static func input(_ vector: OnlineFeatureVector, batch: FeatureBatch, alignment: FeatureAlignment, issueTime: EpochMillis) -> ModelInput
    {
        func value(_ index: Int?) -> Double? {
            guard let index, index < vector.values.count else { return nil }
            return vector.values[index]
        }
        return ModelInput(
            segmentID: vector.segmentID, neighborhood: vector.neighborhood, issueTime: issueTime,
            features: alignment.align(vector.values), lastSpeedKmh: value(batch.lastSpeedIndex),
            lastFlowVehiclesPerHour: value(batch.lastFlowIndex))
    }
}
