import NIOCore
import PostgresNIO

/// What a failed connect-and-ask said about the server: the outage watches count a server that
/// refuses at once differently from one that does not answer, and not at all one that answered
/// with an error of its own.
public enum ConnectFailure: Sendable, Equatable {
    /// The server answered, with an error (too many connections, a bad password, an unknown
    /// database): it is up.
    case serverAnswered
    /// Nothing answered: the connection was refused or reset, the name did not resolve, or the
    /// server said it is shutting down or starting (SQLSTATE class 57P).
    case refused
    /// The connect timed out: no answer either way.
    case noAnswer

    public init(_ error: any Error) {
        guard let error = error as? PSQLError else {
            self = .refused
            return
        }
        if let state = error.serverInfo?[.sqlState] {
            self = state.hasPrefix("57P") ? .refused : .serverAnswered
        } else if case .connectTimeout = error.underlying as? ChannelError {
            self = .noAnswer
        } else {
            self = .refused
        }
    }
}
