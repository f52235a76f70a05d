import CablecarKafka
import Logging

/// Every partition of the raw topics ("topic:partition"), per stream, from the broker's
/// metadata. The group watermark must wait for partitions that no instance has written progress
/// for yet: right after start-up, one instance's first batch would otherwise make the others'
/// intervals due before they have read a single record.
enum RawPartitions {
    static func discover(
        client: KafkaClientConfiguration, configuration: IngestConfiguration, logger: Logger
    ) async -> [Feed.Stream: Set<String>] {
        var result: [Feed.Stream: Set<String>] = [:]
        do {
            let admin = try KafkaAdmin(configuration: client, logger: logger)
            for feed in Feed.allCases {
                let topic = configuration.name(of: feed.topic)
                let count = try await admin.partitionCount(of: topic)
                for partition in 0..<count { result[feed.stream, default: []].insert("\(topic):\(partition)") }
            }
        } catch {
            // Not fatal: the watermark then covers the partitions with stored progress only.
            logger.warning("Could not read the raw topics' partitions", metadata: ["error": "\(error)"])
            return [:]
        }
        return result
    }
}
