/// A readings row the importer could not turn into a message, with its line and reason.
public struct RowRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        case wrongFieldCount = "wrong_field_count"
        case missingValue = "missing_value"
        case unparseable
        case outOfRange = "out_of_range"
        case unknownDetector = "unknown_detector"
        case duplicate
    }

    public var line: Int
    public var reason: Reason
    public var detail: String

    public init(line: Int, reason: Reason, detail: String) {
        self.line = line
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "line \(line): \(reason.rawValue): \(detail)" }
}
