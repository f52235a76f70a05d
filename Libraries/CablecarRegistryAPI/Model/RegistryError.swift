/// What went wrong in the registry, with the MLflow error code the HTTP API answers with.
public struct RegistryError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        case notFound = "RESOURCE_DOES_NOT_EXIST"
        case alreadyExists = "RESOURCE_ALREADY_EXISTS"
        case invalidParameter = "INVALID_PARAMETER_VALUE"
        case invalidState = "INVALID_STATE"
        case tooLarge = "REQUEST_LIMIT_EXCEEDED"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    package static func notFound(_ message: String) -> RegistryError { RegistryError(.notFound, message) }
    package static func invalid(_ message: String) -> RegistryError { RegistryError(.invalidParameter, message) }
}
