import Hummingbird

/// Query parameters checked like path parameters (`PathParameter`): Hummingbird has decoded them;
/// NUL and over-long values are 400 before they reach a query.
public enum QueryParameter {
    /// The parameter's text, nil when absent.
    public static func string(_ request: Request, _ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard !value.utf8.contains(0) else {
            throw ServiceError.badRequest("query parameter '\(name)' must not contain NUL")
        }
        guard value.count <= maxLength else {
            throw ServiceError.badRequest("query parameter '\(name)' is longer than \(maxLength) characters")
        }
        return value
    }
}
