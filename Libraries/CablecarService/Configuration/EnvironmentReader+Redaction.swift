/// The environment holds secrets (the database URL's password, the registry's admin token) next
/// to everything else, and a reader cannot tell them apart by value; so it never prints values,
/// only how many variables it holds. Services print their configuration through
/// `ConfigurationVariable`s, which mark secrets (`isSecret`).
extension EnvironmentReader: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "EnvironmentReader(\(values.count) variables, values not shown)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["variables": values.count], displayStyle: .struct) }

    /// The value for display: secrets (by their declaration) as "***".
    public func displayValue(_ variable: ConfigurationVariable) -> String? {
        guard let value = values[variable.name] else { return nil }
        return variable.isSecret ? "***" : value
    }
}
