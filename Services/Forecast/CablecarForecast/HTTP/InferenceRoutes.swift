import CablecarDomain
import CablecarForecasting
import CablecarService
import Foundation
import Hummingbird

/// The Open Inference Protocol (KServe V2) REST endpoints over the same forecaster:
/// inputs `segment_id` (BYTES, [n]) and optionally `horizon_min` (INT32/INT64, [m], default
/// 15, 30, 60); outputs `speed_kmh`, `flow_veh_h` (FP64), `fallback` (BOOL) and `model_version`
/// (INT64), each [n, m]. Errors are `{"error": "..."}` with a 4xx status.
public enum InferenceRoutes {
    static let integerTypes: Set<String> = ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]
    static let outputNames = ["speed_kmh", "flow_veh_h", "fallback", "model_version"]

    public static func add<Context: RequestContext>(
        to router: Router<Context>, forecaster: Forecaster, validator: RequestValidator, modelName: String, bodyLimit: Int
    ) {
        router.get("/v2/health/live") { _, _ in ForecastRoutes.json(.ok, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in
            let ready = forecaster.holder.current.production != nil
            return ForecastRoutes.json(ready ? .ok : .serviceUnavailable, ["ready": ready])
        }
        router.get("/v2") { _, _ in
            ForecastRoutes.json(.ok, ServerMetadata(name: "cablecar-forecast", version: "2", extensions: []))
        }
        for suffix in ["", "/versions/{version}"] {
            router.get("/v2/models/{name}\(suffix)") { _, context in
                let model = try resolve(context, forecaster: forecaster, modelName: modelName)
                return ForecastRoutes.json(.ok, metadata(modelName: modelName, version: model.version))
            }
            router.get("/v2/models/{name}\(suffix)/ready") { _, context in
                let model = try resolve(context, forecaster: forecaster, modelName: modelName)
                return ForecastRoutes.json(.ok, ReadyAnswer(name: modelName, ready: true, version: String(model.version)))
            }
            router.post("/v2/models/{name}\(suffix)/infer") { request, context in
                try await ForecastRoutes.timed("infer") {
                    let model = try resolve(context, forecaster: forecaster, modelName: modelName)
                    let body = try await JSONRequest.decode(InferenceRequest.self, from: request, limit: bodyLimit)
                    let pinned = context.parameters.get("version") != nil ? model.version : nil
                    return ForecastRoutes.json(
                        .ok, try await infer(body, forecaster: forecaster, validator: validator, modelName: modelName, pinned: pinned))
                }
            }
        }
    }

    struct ServerMetadata: Encodable {
        var name: String
        var version: String
        var extensions: [String]
    }

    struct ReadyAnswer: Encodable {
        var name: String
        var ready: Bool
        var version: String
    }

    /// The served model named by the path (and its version, when given), or a 4xx.
    static func resolve(_ context: some RequestContext, forecaster: Forecaster, modelName: String) throws -> LoadedModel {
        let name = context.parameters.get("name") ?? ""
        guard name == modelName else {
            throw ServiceError.notFound("unknown model '\(name.prefix(100))'; this server serves '\(modelName)'", code: "unknown_model")
        }
        let set = forecaster.holder.current
        guard let production = set.production else {
            throw ServiceError.unavailable("model '\(modelName)' is not ready: \(set.unavailableReason ?? "no version loaded")")
        }
        guard let text = context.parameters.get("version") else { return production }
        guard let number = Int(text), let model = set.loaded(version: number) else {
            throw ServiceError.notFound(
                "version '\(text.prefix(20))' of '\(modelName)' is not served (production is \(production.version))",
                code: "unknown_version")
        }
        return model
    }

    static func metadata(modelName: String, version: Int) -> ModelMetadata {
        ModelMetadata(
            name: modelName, versions: [String(version)], platform: "cablecar",
            inputs: [
                TensorMetadata(name: "segment_id", datatype: "BYTES", shape: [-1]),
                TensorMetadata(name: "horizon_min", datatype: "INT64", shape: [-1]),
            ],
            outputs: [
                TensorMetadata(name: "speed_kmh", datatype: "FP64", shape: [-1, -1]),
                TensorMetadata(name: "flow_veh_h", datatype: "FP64", shape: [-1, -1]),
                TensorMetadata(name: "fallback", datatype: "BOOL", shape: [-1, -1]),
                TensorMetadata(name: "model_version", datatype: "INT64", shape: [-1, -1]),
            ])
    }

    static func infer(
        _ body: InferenceRequest, forecaster: Forecaster, validator: RequestValidator, modelName: String, pinned: Int?
    ) async throws -> InferenceResponse {
        if let id = body.id, id.count > RequestValidator.maxRequestIDLength {
            throw ServiceError.badRequest("'id' must be at most \(RequestValidator.maxRequestIDLength) characters")
        }
        var segments: [String]?
        var horizons: [Int]?
        for input in body.inputs {
            let values = try elements(of: input, limit: validator.maxSegments)
            switch input.name {
            case "segment_id":
                guard input.datatype == "BYTES" else { throw ServiceError.badRequest("input 'segment_id' must have datatype BYTES") }
                segments = try values.map { value in
                    guard case .string(let text) = value else { throw ServiceError.badRequest("input 'segment_id' must hold strings") }
                    return text
                }
            case "horizon_min":
                guard integerTypes.contains(input.datatype) else {
                    throw ServiceError.badRequest("input 'horizon_min' must have an integer datatype (INT32 or INT64)")
                }
                horizons = try values.map { value in
                    guard case .number(let number) = value, number.rounded() == number, abs(number) < 1_000_000 else {
                        throw ServiceError.badRequest("input 'horizon_min' must hold whole numbers of minutes", code: "unknown_horizon")
                    }
                    return Int(number)
                }
            default:
                throw ServiceError.badRequest("unknown input '\(input.name.prefix(100))'; inputs are segment_id and horizon_min")
            }
        }
        guard let segments else { throw ServiceError.badRequest("input 'segment_id' is required") }
        var query = try validator.validate(ForecastRequestBody(segments: segments, horizons: horizons, requestID: body.id))
        query.pinnedVersion = pinned
        let wanted =
            try body.outputs.map { requested in
                try requested.map { output -> String in
                    guard outputNames.contains(output.name) else {
                        throw ServiceError.badRequest(
                            "unknown output '\(output.name.prefix(100))'; outputs are \(outputNames.joined(separator: ", "))")
                    }
                    return output.name
                }
            } ?? outputNames
        let answer = try await forecaster.forecast(query)
        let shape = [query.segments.count, query.horizons.count]
        var outputs: [InferenceOutput] = []
        for name in wanted {
            switch name {
            case "speed_kmh":
                outputs.append(
                    InferenceOutput(
                        name: name, shape: shape, datatype: "FP64",
                        data: answer.forecasts.map { $0.speedKmh.map(TensorValue.number) ?? .null }))
            case "flow_veh_h":
                outputs.append(
                    InferenceOutput(
                        name: name, shape: shape, datatype: "FP64",
                        data: answer.forecasts.map { $0.flowVehiclesPerHour.map(TensorValue.number) ?? .null }))
            case "fallback":
                outputs.append(
                    InferenceOutput(name: name, shape: shape, datatype: "BOOL", data: answer.forecasts.map { .bool($0.fallback) }))
            default:
                outputs.append(
                    InferenceOutput(
                        name: name, shape: shape, datatype: "INT64", data: answer.forecasts.map { .number(Double($0.modelVersion)) }))
            }
        }
        let versions = Set(answer.forecasts.map(\.modelVersion))
        return InferenceResponse(
            modelName: modelName, modelVersion: versions.count == 1 ? versions.first.map(String.init) : nil, id: body.id, outputs: outputs)
    }

    /// The input's elements, checked against its shape.
    static func elements(of input: InferenceInput, limit: Int) throws -> [TensorValue] {
        guard !input.shape.isEmpty, input.shape.count <= 4, input.shape.allSatisfy({ (0...limit).contains($0) }) else {
            throw ServiceError.badRequest(
                "input '\(input.name.prefix(100))' has shape \(input.shape.prefix(8)); expected [n] with n from 0 to \(limit)")
        }
        let expected = input.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        guard expected <= limit else {
            throw ServiceError.badRequest("input '\(input.name.prefix(100))' has more than \(limit) elements", code: "batch_too_large")
        }
        let values = try input.data.flattened(limit: limit)
        guard values.count == expected else {
            throw ServiceError.badRequest("input '\(input.name.prefix(100))' has \(values.count) elements for shape \(input.shape)")
        }
        return values
    }
}
