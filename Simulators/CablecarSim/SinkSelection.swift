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

    var destinationDescription: String { brokers.map { "Kafka \($0)" } ?? outputDir }
}

/// Picks the sink for a replay from the output options.
func makeSink(_ options: OutputOptions) async throws -> any FeedSink {
    if let brokers = options.brokers {
        var logger = Logger(label: "cablecar-sim")
        logger.logLevel = .warning
        return try await KafkaFeedSink(brokers: brokers, partitions: options.partitions, logger: logger)
    }
    return try JSONLinesFeedSink(directory: URL(fileURLWithPath: options.outputDir))
}
