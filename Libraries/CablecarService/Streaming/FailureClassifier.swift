import CablecarKafka
import CablecarPostgres
import PostgresNIO

/// An error that no retry and no restart can fix: the operator has to change something
/// (configuration, credentials, the schema, the code). Everything else is retried.
public protocol UnrecoverableError: Error {}

extension ConfigurationError: UnrecoverableError {}
extension DatabaseError: UnrecoverableError {}

/// Sorts failures into those worth retrying and those that end the process.
///
/// Permanent (the process exits with status 1; docs/operations lists them):
/// - `UnrecoverableError`s: configuration errors, migration checksum mismatches, migrations
///   unknown to this build or failing;
/// - Postgres errors of SQLSTATE classes 28 (credentials refused), 3D (no such database), 42
///   (the code and the schema disagree), 0A (not supported), 22 (data the code cannot store),
///   XX (internal error, e.g. corruption), F0 (server configuration); client-side TLS and
///   authentication mechanism failures, too many bind parameters;
/// - Kafka errors that are permanent by `KafkaError.isPermanent` (bad configuration,
///   authentication, authorization, a fatal client).
///
/// Transient (retried with back-off, the process keeps running): everything else, notably
/// refused and lost connections, SQLSTATE classes 08 (connection), 57 (admin or crash
/// shutdown, cannot connect now, cancelled), 53 (out of resources), 40 (serialization
/// failure, deadlock), 55 (lock not available), 25 and 23 (the retry reads again), the pool's
/// "cannot connect" circuit breaker, and broker transport errors and timeouts. An error of an
/// unknown kind is retried too: the retry reloads the state from the database, which is what a
/// restart would do, so exiting would never fix more than retrying does.
public enum FailureClassifier {
    public enum Verdict: Sendable, Equatable {
        case transient
        case permanent
        /// The task was cancelled: stop, this is no failure.
        case cancelled
    }

    public static func classify(_ error: any Error) -> Verdict {
        if error is CancellationError { return .cancelled }
        if error is any UnrecoverableError { return .permanent }
        if let kafka = error as? KafkaError { return kafka.isPermanent ? .permanent : .transient }
        if let postgres = error as? PSQLError { return classify(postgres) }
        if let transaction = error as? PostgresTransactionError {
            // What failed inside the transaction decides (a lost connection during COMMIT
            // leaves the outcome unknown: retrying is safe, batches are redelivery-safe).
            guard let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError else { return .transient }
            return classify(cause)
        }
        return .transient
    }

    static func classify(_ error: PSQLError) -> Verdict {
        switch error.code {
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return .transient }
            return classify(sqlState: state)
        case .sslUnsupported, .failedToAddSSLHandler, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError,
            .tooManyParameters:
            return .permanent
        default:
            return .transient
        }
    }

    /// SQLSTATE classes whose errors persist however often the statement is retried.
    static let permanentSQLStateClasses: Set<String> = ["28", "3D", "42", "0A", "22", "XX", "F0"]

    public static func classify(sqlState: String) -> Verdict {
        permanentSQLStateClasses.contains(String(sqlState.prefix(2))) ? .permanent : .transient
    }
}
