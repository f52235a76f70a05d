import CablecarDomain
import CablecarKafka
import CablecarService
import Foundation

/// One consumed message, decoded and range-checked, or rejected with a reason.
public enum MonitorInput: Sendable, Equatable {
    case prediction(Forecast)
    case actual(TrafficObservation)
    case rejected(reason: String)

    /// Physical bounds the platform's values must lie in (the simulator and ingest stay far inside).
    static let speedRange = 0.0...400.0
    static let flowRange = 0.0...50_000.0
    static let maxHorizonMinutes = 7 * 24 * 60
    static let maxTextLength = 200
    static let maxHorizonMinutesMillis = EpochMillis(maxHorizonMinutes) * 60_000
    /// Most features a prediction may carry, and the magnitude of any of them.
    static let maxFeatures = 512
    static let featureMagnitude = 1e9

    public static func decode(_ message: KafkaMessage, predictionsTopic: String, trafficTopic: String) -> MonitorInput {
        if message.topic == predictionsTopic {
            let forecast: Forecast
            do {
                forecast = try WireCodec.decode(Forecast.self, from: message.value)
            } catch let error as DecodingError {
                return .rejected(reason: "forecast.predictions message is not a Forecast: \(DecodingProblem.describe(error))")
            } catch {
                return .rejected(reason: "forecast.predictions message is not JSON: \(error)")
            }
            if let problem = problem(forecast) { return .rejected(reason: problem) }
            return .prediction(forecast)
        }
        if message.topic == trafficTopic {
            let observation: TrafficObservation
            do {
                observation = try WireCodec.decode(TrafficObservation.self, from: message.value)
            } catch let error as DecodingError {
                return .rejected(reason: "obs.traffic message is not a TrafficObservation: \(DecodingProblem.describe(error))")
            } catch {
                return .rejected(reason: "obs.traffic message is not JSON: \(error)")
            }
            if let problem = problem(observation) { return .rejected(reason: problem) }
            return .actual(observation)
        }
        return .rejected(reason: "message from unexpected topic \(message.topic)")
    }

    static func problem(_ f: Forecast) -> String? {
        guard Forecast.readableVersions.contains(f.version) else {
            return "forecast version \(f.version) is not readable (1...\(Forecast.currentVersion))"
        }
        guard (1...maxHorizonMinutes).contains(f.horizonMinutes) else {
            return "horizon_min \(f.horizonMinutes) is outside 1...\(maxHorizonMinutes)"
        }
        guard f.eventTime >= 0, f.eventTime < 1 << 50 else { return "event_time \(f.eventTime) is out of range" }
        guard f.targetTime == f.eventTime + EpochMillis(f.horizonMinutes) * 60_000 else {
            return "target_time \(f.targetTime) is not event_time + horizon_min"
        }
        guard f.modelVersion >= 0, f.modelVersion <= Int(Int32.max) else { return "model_version \(f.modelVersion) is out of range" }
        for (name, text) in [("segment_id", f.segmentID), ("neighborhood", f.neighborhood), ("model_name", f.modelName)] {
            guard !text.isEmpty, text.count <= maxTextLength else { return "\(name) must have 1 to \(maxTextLength) characters" }
        }
        guard f.requestID.count <= maxTextLength, (f.fallbackReason?.count ?? 0) <= maxTextLength else {
            return "request_id or fallback_reason is too long"
        }
        if let step = f.featureStep, step < 0 || step > f.eventTime { return "feature_step \(step) is not before event_time" }
        for (name, value, range) in [
            ("predicted_speed_kmh", f.predictedSpeedKmh, speedRange), ("baseline_speed_kmh", f.baselineSpeedKmh, speedRange),
            ("predicted_flow_veh_h", f.predictedFlowVehiclesPerHour, flowRange),
            ("baseline_flow_veh_h", f.baselineFlowVehiclesPerHour, flowRange),
        ] {
            if let value, !(value.isFinite && range.contains(value)) { return "\(name) \(value) is outside \(range)" }
        }
        guard f.predictedSpeedKmh != nil || f.predictedFlowVehiclesPerHour != nil else { return "prediction has neither speed nor flow" }
        if let features = f.features {
            guard features.count <= maxFeatures else { return "features has \(features.count) entries, more than \(maxFeatures)" }
            for (name, value) in features {
                guard !name.isEmpty, name.count <= maxTextLength else { return "feature names must have 1 to \(maxTextLength) characters" }
                guard value.isFinite, abs(value) <= featureMagnitude else {
                    return "feature \(name.prefix(40)) is \(value), outside ±\(featureMagnitude)"
                }
            }
        }
        return nil
    }

    static func problem(_ o: TrafficObservation) -> String? {
        guard TrafficObservation.readableVersions.contains(o.version) else { return "observation version \(o.version) is not readable" }
        guard o.eventTime >= 0, o.eventTime < 1 << 50 else { return "event_time \(o.eventTime) is out of range" }
        guard (0...Int(Int32.max)).contains(o.revision) else { return "revision \(o.revision) is out of range" }
        for (name, text) in [("segment_id", o.segmentID), ("neighborhood", o.neighborhood)] {
            guard !text.isEmpty, text.count <= maxTextLength else { return "\(name) must have 1 to \(maxTextLength) characters" }
        }
        guard o.flowVehiclesPerHour.isFinite, flowRange.contains(o.flowVehiclesPerHour) else {
            return "flow_veh_h \(o.flowVehiclesPerHour) is outside \(flowRange)"
        }
        if let speed = o.speedKmh, !(speed.isFinite && speedRange.contains(speed)) { return "speed_kmh \(speed) is outside \(speedRange)" }
        return nil
    }
}
