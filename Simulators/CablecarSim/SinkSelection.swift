import ArgumentParser
import CablecarSimulation
import Foundation

/// Where `replay` sends records. Today: JSON-lines files. The Kafka sink hooks in here:
/// add `@Option var brokers: String?` to `OutputOptions`, and in `makeSink` return
/// `try KafkaFeedSink(brokers: brokers)` (Simulators/CablecarSim/KafkaFeedSink.swift)
/// when it is set. Nothing else in the simulator needs to know.
struct OutputOptions: ParsableArguments {
    @Option(help: "Directory for one JSON-lines file per raw topic (raw.loop.jsonl, ...).")
    var outputDir = "sim-output"

    var destinationDescription: String { outputDir }
}

/// Picks the sink for a replay from the output options.
func makeSink(_ options: OutputOptions) throws -> any FeedSink {
    try JSONLinesFeedSink(directory: URL(fileURLWithPath: options.outputDir))
}
