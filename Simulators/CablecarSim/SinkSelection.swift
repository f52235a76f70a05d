import ArgumentParser
import CablecarSimulation
import Foundation
import Logging

/// Where `replay` sends records: the `raw.*` Kafka topics when `--brokers` is given,
/// else one JSON-lines file per topic. Nothing else in the simulator needs to know.
struct OutputOptions: ParsableArguments {
    @Option(help: "Directory for one JSON-lines file per raw topic (raw.loop.jsonl, ...), when no --brokers is given.")
    var outputDir = "sim-output"

    @Option(help: "Kafka brokers (host:port,...): publish to the raw.* topics instead of files.")
    var brokers: String?

    @Option(help: "Partitions of raw.* topics created when missing.")
    var partitions = 3

    @Option(
        help: ArgumentHelp(
            "Prefix of the raw.* topic names, for a platform whose ingest has CABLECAR_INGEST_TOPIC_PREFIX set.",
            valueName: "prefix"))
    var topicPrefix = ""

    @Option(
        help: ArgumentHelp(
            "How long a batch the broker does not take is sent again before the replay gives up (0: at once).",
            valueName: "seconds"))
    var brokerPatience = 300

    var destinationDescription: String {
        brokers.map { "Kafka \($0)" + (topicPrefix.isEmpty ? "" : ", topics \(topicPrefix)raw.*") } ?? outputDir
    }

    func validate() throws {
        guard topicPrefix.utf8.count <= 100, topicPrefix.utf8.allSatisfy({ Self.topicNameByte($0) }) else {
            throw ValidationError("--topic-prefix may hold up to 100 of a-z A-Z 0-9 . _ - (Kafka's topic name characters)")
        }
        guard (0...86_400).contains(brokerPatience) else {
            throw ValidationError("--broker-patience must be 0 to 86400 seconds, not \(brokerPatience)")
        }
    }

    private static func topicNameByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 46 || byte == 95 || byte == 45
    }
}

/// Picks the sink for a replay from the output options.
func makeSink(_ options: OutputOptions) async throws -> any FeedSink {
    if let brokers = options.brokers {
        var logger = Logger(label: "cablecar-sim")
        logger.logLevel = .warning
        return try await KafkaFeedSink(
            brokers: brokers, partitions: options.partitions, topicPrefix: options.topicPrefix,
            patience: .seconds(options.brokerPatience), logger: logger)
    }
    return try JSONLinesFeedSink(directory: URL(fileURLWithPath: options.outputDir))
}
