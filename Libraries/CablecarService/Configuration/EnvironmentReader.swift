import Foundation

/// Typed, validated reads of environment variables.
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The raw value, or the default; throws when required and missing (or set but empty).
    public func string(_ variable: ConfigurationVariable) throws -> String {
        if let value = values[variable.name] {
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigurationError(variable: variable.name, problem: "is set but empty", expected: variable.expected)
            }
            return value
        }
        guard let fallback = variable.defaultValue else {
            throw ConfigurationError(variable: variable.name, problem: "is required but not set", expected: variable.expected)
        }
        return fallback
    }

    public func optionalString(_ variable: ConfigurationVariable) -> String? {
        values[variable.name].flatMap { $0.isEmpty ? nil : $0 } ?? variable.defaultValue
    }

    public func int(_ variable: ConfigurationVariable, in range: ClosedRange<Int>) throws -> Int {
        let text = try string(variable)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw malformed(variable, text)
        }
        return value
    }

    public func double(_ variable: ConfigurationVariable, in range: ClosedRange<Double>) throws -> Double {
        let text = try string(variable)
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, range.contains(value) else {
            throw malformed(variable, text)
        }
        return value
    }

    public func bool(_ variable: ConfigurationVariable) throws -> Bool {
        let text = try string(variable).lowercased()
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw malformed(variable, text)
        }
    }

    public func choice<Choice: RawRepresentable>(_ variable: ConfigurationVariable, as type: Choice.Type) throws -> Choice
    where Choice.RawValue == String {
        let text = try string(variable)
        guard let value = Choice(rawValue: text.lowercased()) else { throw malformed(variable, text) }
        return value
    }

    /// Parses with `parse`, turning its failure into a ConfigurationError that names the variable.
    public func parsed<Value>(_ variable: ConfigurationVariable, _ parse: (String) throws -> Value) throws -> Value {
        let text = try string(variable)
        do {
            return try parse(text)
        } catch {
            throw ConfigurationError(
                variable: variable.name, problem: variable.isSecret ? "is malformed" : "is malformed (\(error))",
                expected: variable.expected)
        }
    }

    private func malformed(_ variable: ConfigurationVariable, _ text: String) -> ConfigurationError {
        ConfigurationError(
            variable: variable.name, problem: variable.isSecret ? "is malformed" : "is \"\(text)\"", expected: variable.expected)
    }
}
