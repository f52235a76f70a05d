/// One environment variable a service reads: its name, default and meaning. Services declare
/// theirs as values of this type, so that `cablecar config` prints the README's table from the
/// same declarations the code parses.
public struct ConfigurationVariable: Sendable, Hashable {
    public let name: String
    /// nil: required, the service refuses to start without it.
    public let defaultValue: String?
    /// The accepted form, shown in errors (e.g. "an integer from 1 to 65535").
    public let expected: String
    public let summary: String
    /// Secrets are never printed back, not even in errors.
    public let isSecret: Bool

    public init(_ name: String, default defaultValue: String?, expected: String, summary: String, isSecret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.expected = expected
        self.summary = summary
        self.isSecret = isSecret
    }
}

/// A variable missing or malformed; the message names it and the expected form.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let problem: String
    public let expected: String

    public init(variable: String, problem: String, expected: String) {
        self.variable = variable
        self.problem = problem
        self.expected = expected
    }

    public var description: String {
        "configuration error: \(variable) \(problem); expected \(expected)"
    }

    /// sysexits.h EX_CONFIG: what a supervisor sees when a service refuses its configuration.
    public static let exitCode: Int32 = 78
}

/// Thrown by parse closures given to `EnvironmentReader.parsed`; its text ends up in the
/// ConfigurationError that names the variable.
public struct InvalidValue: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
