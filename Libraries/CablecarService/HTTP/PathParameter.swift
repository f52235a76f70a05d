import Foundation
import Hummingbird

/// Path parameters as clients mean them: Hummingbird hands them over percent-encoded (a model
/// named "my model" arrives as "my%20model"), so every route reads them through here. Invalid
/// encodings (not UTF-8 after decoding), NUL and over-long values are 400, never a 5xx.
public enum PathParameter {
    public static func string<Context: RequestContext>(_ context: Context, _ name: String, maxLength: Int = 1000) throws -> String {
        try decode(context.parameters.get(name) ?? "", name: name, maxLength: maxLength)
    }

    /// Decodes one raw segment (or catch-all remainder) and checks it.
    public static func decode(_ raw: String, name: String, maxLength: Int = 1000) throws -> String {
        guard let decoded = raw.removingPercentEncoding else {
            throw ServiceError.badRequest("path parameter '\(name)' is not valid percent-encoded UTF-8", code: "invalid_path")
        }
        guard !decoded.isEmpty else { throw ServiceError.badRequest("path parameter '\(name)' is empty", code: "invalid_path") }
        guard !decoded.utf8.contains(0) else {
            throw ServiceError.badRequest("path parameter '\(name)' must not contain NUL", code: "invalid_path")
        }
        guard decoded.count <= maxLength else {
            throw ServiceError.badRequest("path parameter '\(name)' is longer than \(maxLength) characters", code: "invalid_path")
        }
        return decoded
    }

    /// A positive integer parameter (ids, versions); out of range is 404 (no such thing), not 500.
    public static func positiveInt<Context: RequestContext>(_ context: Context, _ name: String, max: Int = Int(Int32.max)) throws -> Int {
        let text = try string(context, name, maxLength: 40)
        guard let value = Int(text), value >= 1 else {
            throw ServiceError.badRequest("path parameter '\(name)' must be a positive integer, got '\(text)'", code: "invalid_path")
        }
        guard value <= max else { throw ServiceError.notFound("no \(name) \(value)") }
        return value
    }
}
