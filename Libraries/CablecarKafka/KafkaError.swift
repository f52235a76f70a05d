import CRdKafka

/// A librdkafka failure, with the operation that hit it.
///
/// `code` is librdkafka's error code (negative values are client-side, e.g. `_MSG_TIMED_OUT`;
/// positive values come from the broker); `name` is its symbolic name, which is what to search
/// for in librdkafka's documentation.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let name: String
    public let reason: String
    public let operation: String

    public init(code: Int32, name: String, reason: String, operation: String) {
        self.code = code
        self.name = name
        self.reason = reason
        self.operation = operation
    }

    init(_ err: rd_kafka_resp_err_t, operation: String, reason: String? = nil) {
        self.code = err.rawValue
        self.name = String(cString: rd_kafka_err2name(err))
        self.reason = reason ?? String(cString: rd_kafka_err2str(err))
        self.operation = operation
    }

    /// A failure before librdkafka produced an error code (bad configuration, client creation).
    static func client(_ operation: String, reason: String) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, name: "_INVALID_ARG", reason: reason, operation: operation)
    }

    public var description: String { "\(operation) failed: \(reason) (\(name))" }

    /// The message could not be delivered within `message.timeout.ms`, usually because no broker answered.
    public var isTimeout: Bool {
        code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue || code == RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
    }

    public var isTopicAlreadyExisting: Bool { code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue }
}
