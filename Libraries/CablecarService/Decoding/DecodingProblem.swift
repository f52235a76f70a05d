/// What a `DecodingError` says, told as a reader can act on it: which field, what was wrong. The
/// one wording for a refused HTTP body and a refused message alike.
public enum DecodingProblem {
    public static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "body" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)) must be \(type)"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)) must be a \(type), not null"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            // At the root the bytes are no JSON at all; deeper, a value was refused by its type.
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// `describe` for a decoding error; any other error as it describes itself.
    public static func describe(_ error: any Error) -> String {
        (error as? DecodingError).map { describe($0) } ?? "\(error)"
    }
}
