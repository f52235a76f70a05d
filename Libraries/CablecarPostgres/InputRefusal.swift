import PostgresNIO

/// Whether Postgres refused a statement because of the data it was given (the caller's input),
/// as opposed to being unavailable or failing internally. Services answer the first with a 4xx
/// (or dead-letter the message) and the second with a 5xx (or a retry).
///
/// SQLSTATE classes: 22 data exception (NUL in text, invalid UTF-8, value out of range),
/// 23 integrity constraint violation, 54 program limit exceeded (an index row too large).
public enum InputRefusal {
    /// The SQLSTATE of a refusal caused by input, or nil.
    public static func sqlState(of error: any Error) -> String? {
        if let error = error as? PostgresTransactionError {
            return error.closureError.flatMap { sqlState(of: $0) }
        }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState], state.count == 5 else { return nil }
        return ["22", "23", "54"].contains(String(state.prefix(2))) ? state : nil
    }

    /// The server's message for a refusal caused by input (never the statement or its bindings).
    public static func message(of error: any Error) -> String? {
        if let error = error as? PostgresTransactionError {
            return error.closureError.flatMap { message(of: $0) }
        }
        guard let error = error as? PSQLError, sqlState(of: error) != nil else { return nil }
        return error.serverInfo?[.message] ?? "the database refused the value"
    }
}
