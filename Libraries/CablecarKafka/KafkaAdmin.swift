import CRdKafka
import Foundation
import Logging

/// Creates topics and checks broker reachability.
public final class KafkaAdmin: Sendable {
    private let handle: RdKafkaHandle
    private let logger: Logger
    let teardown = Teardown()

    public init(configuration: KafkaClientConfiguration, logger: Logger) throws {
        try KafkaLibrary.checkVersion()
        self.handle = try RdKafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.properties)
        self.logger = logger
    }

    deinit {
        let handle = self.handle
        teardown.start("kafka-admin-teardown") { rd_kafka_destroy(handle.pointer) }
    }

    /// Creates each topic that does not exist yet; existing topics are left as they are.
    public func ensureTopics(_ topics: [TopicSpecification], timeout: Duration = .seconds(30)) async throws {
        guard !topics.isEmpty else { return }
        let handle = self.handle
        let milliseconds = timeout.kafkaMilliseconds
        let outcome = await runBlocking("kafka-create-topics") { Self.createTopics(handle.pointer, topics, milliseconds) }
        let results = try outcome.get()
        for (name, error) in results {
            if let error, !error.isTopicAlreadyExisting { throw error }
            logger.debug("Topic ready", metadata: ["topic": "\(name)", "created": "\(error == nil)"])
        }
    }

    /// Asks the cluster for its metadata: true when a broker answers within `timeout`.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        (try? await partitionCount(of: nil, timeout: timeout)) != nil
    }

    /// The number of partitions of `topic` (or, with nil, of all topics together).
    public func partitionCount(of topic: String?, timeout: Duration = .seconds(5)) async throws -> Int {
        let handle = self.handle
        let milliseconds = timeout.kafkaMilliseconds
        return try await runBlocking("kafka-metadata") { () -> Result<Int, KafkaError> in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            var topicHandle: OpaquePointer?
            if let topic { topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) }
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
            let error = rd_kafka_metadata(handle.pointer, topicHandle == nil ? 1 : 0, topicHandle, &metadata, milliseconds)
            guard !error.isError, let metadata else {
                return .failure(KafkaError(error, operation: "reading cluster metadata"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var count = 0
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topicMetadata = metadata.pointee.topics[index]
                if topicMetadata.err.isError && topic != nil {
                    return .failure(KafkaError(topicMetadata.err, operation: "reading metadata of topic \(topic ?? "")"))
                }
                count += Int(topicMetadata.partition_cnt)
            }
            return .success(count)
        }.get()
    }

    /// The names of every topic the cluster has, sorted.
    public func topicNames(timeout: Duration = .seconds(5)) async throws -> [String] {
        let handle = self.handle
        let milliseconds = timeout.kafkaMilliseconds
        return try await runBlocking("kafka-metadata") { () -> Result<[String], KafkaError> in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, milliseconds)
            guard !error.isError, let metadata else {
                return .failure(KafkaError(error, operation: "reading cluster metadata"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var names: [String] = []
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                if let name = metadata.pointee.topics[index].topic { names.append(String(cString: name)) }
            }
            return .success(names.sorted())
        }.get()
    }

    /// The end offset (high watermark) of every partition of `topic`: how many messages it holds
    /// since offset 0 when nothing was deleted. Operators compare it with consumed counts (lag).
    public func endOffsets(of topic: String, timeout: Duration = .seconds(5)) async throws -> [Int32: Int64] {
        let count = try await partitionCount(of: topic, timeout: timeout)
        let ends = try await endOffsets(of: (0..<Int32(count)).map { TopicPartition(topic: topic, partition: $0) }, timeout: timeout)
        return Dictionary(uniqueKeysWithValues: ends.map { ($0.key.partition, $0.value) })
    }

    /// The end offset (high watermark) of each of `partitions`, asked of their leaders: whoever
    /// owns them in a consumer group, the next offset a producer will write.
    ///
    /// Asked with the admin API's ListOffsets on a result queue of our own, in one request. Not
    /// `rd_kafka_query_watermark_offsets`: while the broker restarted it aborted the process
    /// with heap corruption (in 2 of 4 runs of `BrokerRestartTests`), as reported upstream for
    /// brokers going away under it (confluentinc/librdkafka#5160); an admin request keeps its
    /// own reference to everything a late reply touches.
    public func endOffsets(of partitions: [TopicPartition], timeout: Duration = .seconds(5)) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let handle = self.handle
        let milliseconds = timeout.kafkaMilliseconds
        return try await runBlocking("kafka-list-offsets") { Self.listEndOffsets(handle.pointer, partitions, milliseconds) }.get()
    }

    private static func listEndOffsets(
        _ handle: OpaquePointer, _ partitions: [TopicPartition], _ timeoutMilliseconds: Int32
    ) -> Result<[TopicPartition: Int64], KafkaError> {
        let operation = "reading the end offsets of \(partitions.count) partition(s)"
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
            return .failure(.client(operation, reason: "out of memory"))
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in Set(partitions) {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = Int64(
                RD_KAFKA_OFFSET_SPEC_LATEST.rawValue)
        }
        guard let queue = rd_kafka_queue_new(handle) else {
            return .failure(.client(operation, reason: "could not create a result queue"))
        }
        defer { rd_kafka_queue_destroy(queue) }
        var errorText = [CChar](repeating: 0, count: 512)
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_LISTOFFSETS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        rd_kafka_ListOffsets(handle, list, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            return .failure(KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, operation: operation))
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError.isError {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) }
            return .failure(KafkaError(eventError, operation: operation, reason: reason))
        }
        guard let result = rd_kafka_event_ListOffsets_result(event) else {
            return .failure(.client(operation, reason: "unexpected admin event type"))
        }
        var count = 0
        guard let infos = rd_kafka_ListOffsets_result_infos(result, &count) else { return .success([:]) }
        var offsets: [TopicPartition: Int64] = [:]
        for index in 0..<count {
            guard let info = infos[index], let element = rd_kafka_ListOffsetsResultInfo_topic_partition(info) else { continue }
            let partition = TopicPartition(topic: String(cString: element.pointee.topic), partition: element.pointee.partition)
            if element.pointee.err.isError {
                return .failure(
                    KafkaError(element.pointee.err, operation: "reading the end offset of \(partition.topic)[\(partition.partition)]"))
            }
            offsets[partition] = element.pointee.offset
        }
        return .success(offsets)
    }

    private static func createTopics(
        _ handle: OpaquePointer, _ topics: [TopicSpecification], _ timeoutMilliseconds: Int32
    ) -> Result<[(String, KafkaError?)], KafkaError> {
        var errorText = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for spec in topics {
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    spec.name, Int32(spec.partitions), Int32(spec.replicationFactor), &errorText, errorText.count)
            else {
                return .failure(.client("describing topic \(spec.name)", reason: string(fromCBuffer: errorText)))
            }
            newTopics.append(newTopic)
            for (key, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                let error = rd_kafka_NewTopic_set_config(newTopic, key, value)
                if error.isError { return .failure(KafkaError(error, operation: "setting \(key) on topic \(spec.name)")) }
            }
        }
        guard let queue = rd_kafka_queue_new(handle) else {
            return .failure(.client("creating topics", reason: "could not create a result queue"))
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            return .failure(KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, operation: "creating topics \(topics.map(\.name))"))
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError.isError {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) }
            return .failure(KafkaError(eventError, operation: "creating topics \(topics.map(\.name))", reason: reason))
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            return .failure(.client("creating topics", reason: "unexpected admin event type"))
        }
        var count = 0
        guard let topicResults = rd_kafka_CreateTopics_result_topics(result, &count) else { return .success([]) }
        var outcome: [(String, KafkaError?)] = []
        for index in 0..<count {
            guard let topicResult = topicResults[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let error = rd_kafka_topic_result_error(topicResult)
            let reason = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
            outcome.append((name, error.isError ? KafkaError(error, operation: "creating topic \(name)", reason: reason) : nil))
        }
        return .success(outcome)
    }
}
