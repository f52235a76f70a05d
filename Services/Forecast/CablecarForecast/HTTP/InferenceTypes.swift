import CablecarService

/// Tensor data of the Open Inference Protocol: a flat (row-major) or nested JSON array of
/// numbers, strings or booleans.
public indirect enum TensorValue: Codable, Sendable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([TensorValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TensorValue].self) {
            self = .array(value)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a tensor element"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let values): try container.encode(values)
        }
    }

    /// The elements in row-major order, at most `limit` of them (nesting deeper than 8 refused).
    func flattened(limit: Int) throws -> [TensorValue] {
        var result: [TensorValue] = []
        func walk(_ value: TensorValue, depth: Int) throws {
            guard depth <= 8 else { throw ServiceError.badRequest("tensor data is nested deeper than 8 levels") }
            if case .array(let values) = value {
                for value in values { try walk(value, depth: depth + 1) }
            } else {
                guard result.count < limit else { throw ServiceError.badRequest("tensor data has more than \(limit) elements") }
                result.append(value)
            }
        }
        try walk(self, depth: 0)
        return result
    }
}

public struct InferenceInput: Codable, Sendable {
    public var name: String
    public var shape: [Int]
    public var datatype: String
    public var data: TensorValue
}

public struct InferenceRequestedOutput: Codable, Sendable {
    public var name: String
}

/// POST /v2/models/{name}/infer body.
public struct InferenceRequest: Codable, Sendable {
    public var id: String?
    public var inputs: [InferenceInput]
    public var outputs: [InferenceRequestedOutput]?
}

public struct InferenceOutput: Codable, Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var datatype: String
    public var data: [TensorValue]
}

public struct InferenceResponse: Codable, Sendable, Equatable {
    public var modelName: String
    public var modelVersion: String?
    public var id: String?
    public var outputs: [InferenceOutput]

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case modelVersion = "model_version"
        case id, outputs
    }
}

/// One tensor's name, type and shape in model metadata (-1 = any length).
public struct TensorMetadata: Codable, Sendable, Equatable {
    public var name: String
    public var datatype: String
    public var shape: [Int]
}

public struct ModelMetadata: Codable, Sendable, Equatable {
    public var name: String
    public var versions: [String]
    public var platform: String
    public var inputs: [TensorMetadata]
    public var outputs: [TensorMetadata]
}
