import CablecarKafka
import Metrics

extension StreamWorker {
    /// How far the worker's consumer group is behind its topics (see `StreamLag`); also sets
    /// the `cablecar_stream_lag_messages` gauge per topic.
    public func lag() async throws -> StreamLag {
        guard let ends else {
            throw ServiceError.unavailable("the \(name) stream was started without a broker to measure its lag against")
        }
        var result = StreamLag(worker: name, group: source.groupID, topics: [])
        for topic in topics {
            let topicEnds = try await ends.endOffsets(of: topic, timeout: .seconds(5))
            let partitions = topicEnds.keys.sorted().map { TopicPartition(topic: topic, partition: $0) }
            let committed = try await source.committedOffsets(of: partitions)
            let lag = StreamLag.topic(topic, ends: topicEnds, committed: committed)
            Gauge(label: "cablecar_stream_lag_messages", dimensions: [("worker", name), ("topic", topic)]).record(lag.lag)
            result.topics.append(lag)
        }
        return result
    }

    func refreshLagGauges() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: lagRefresh)
            guard !Task.isCancelled else { return }
            do {
                _ = try await lag()
            } catch {
                logger.debug("Could not measure the stream's lag", metadata: ["worker": "\(name)", "error": "\(error)"])
            }
        }
    }
}
