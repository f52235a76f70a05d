import CRdKafka

extension KafkaError {
    /// True for failures that retrying (or restarting the process) cannot fix: bad configuration
    /// or arguments, refused credentials or authorization, and a client that librdkafka declared
    /// fatal. Everything else (a broker down or restarting, timeouts, a topic or leader that is
    /// briefly unknown) passes once the broker is back, so callers retry it.
    public var isPermanent: Bool { Self.permanentCodes.contains(code) }

    static let permanentCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue,
        RD_KAFKA_RESP_ERR__FATAL.rawValue,
        RD_KAFKA_RESP_ERR__SSL.rawValue,
        RD_KAFKA_RESP_ERR__AUTHENTICATION.rawValue,
        RD_KAFKA_RESP_ERR__INVALID_TYPE.rawValue,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue,
        RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED.rawValue,
        RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED.rawValue,
        RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED.rawValue,
        RD_KAFKA_RESP_ERR_INVALID_CONFIG.rawValue,
    ]
}
