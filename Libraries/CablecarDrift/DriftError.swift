import Foundation

/// Everything that stops a comparison, with a message that says what failed, where, and what to
/// do about it, and the process exit status the CLI should use (BSD sysexits conventions, so that
/// scripts can tell bad data from a bad command line).
public struct DriftError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case invalidArgument
        case cannotRead
        case emptyInput
        case malformedCSV
        case missingColumn
        case nonNumeric
        case cannotWrite
        case invalidProfile
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// 64 usage, 65 bad data, 66 unreadable input, 73 unwritable output.
    public var exitCode: Int32 {
        switch kind {
        case .invalidArgument: return ExitCodes.usage
        case .cannotRead: return ExitCodes.noInput
        case .emptyInput, .malformedCSV, .missingColumn, .nonNumeric, .invalidProfile: return ExitCodes.dataError
        case .cannotWrite: return ExitCodes.cannotCreate
        }
    }
}

/// Exit statuses of `cablecar drift compare`.
public enum ExitCodes {
    /// The comparison ran; drift or not, the report says so.
    public static let success: Int32 = 0
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let cannotCreate: Int32 = 73
}
