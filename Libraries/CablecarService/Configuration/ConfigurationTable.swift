/// Renders variables as the rows of README's configuration table.
public enum ConfigurationTable {
    public static func markdown(service: String, variables: [ConfigurationVariable]) -> String {
        var text = ""
        for variable in variables {
            let fallback = variable.defaultValue.map { "`\($0)`" } ?? "required"
            text += "| `\(variable.name)` | \(service) | \(fallback) | \(variable.summary) Expected: \(variable.expected). |\n"
        }
        return text
    }
}
