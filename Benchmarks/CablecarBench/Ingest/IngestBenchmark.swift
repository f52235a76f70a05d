import ArgumentParser
import CablecarDomain
import CablecarIngest
import CablecarSimulation
import Foundation
import Logging

/// `cablecar-bench ingest`: raw records/s through one ingest process, end to end (raw topics
/// in, observations acknowledged on obs.* out), against a running broker and Postgres
/// (`cablecar stack up`). Records are a simulated city with light faults; the run gets a
/// database and topics of its own.
public enum IngestBenchmark {
    public static func run(
        records: Int, brokers: String = "127.0.0.1:19092", databaseURL: String = "postgres://postgres@127.0.0.1:55432/cablecar",
        batchSize: Int = 5_000, rounds: Int = 1, logLevel: Logger.Level = .warning, kafkaDebug: String? = nil
    ) async throws {
        var logger = Logger(label: "cablecar-bench")
        logger.logLevel = logLevel
        let city = try CityDefinition.bundledDefault()
        let days = max(1, (records + 249_999) / 250_000)
        let generateStart = ContinuousClock.now
        let simulated = try SimulationReplay.collect(SimulationConfiguration(city: city, days: days, seed: 3, faults: .light))
        let raw = simulated.records.prefix(records).map {
            IngestThroughput.RawRecord(topic: $0.topic, key: $0.key, value: $0.value, publishTime: $0.publishTime)
        }
        print("ingest: generated \(raw.count) raw records (\(days) simulated day(s)) in \(ContinuousClock.now - generateStart)")
        var results: [IngestThroughput.Result] = []
        for round in 1...max(1, rounds) {
            let result = try await IngestThroughput.measure(
                Array(raw), brokers: brokers, databaseURL: databaseURL, catalog: CityCatalog(city: city), batchSize: batchSize,
                logger: logger,
                kafkaProperties: kafkaDebug.map { ["debug": $0] } ?? [:])
            let rejected = result.outcome.rejected.values.reduce(0, +)
            print(
                String(
                    format:
                        "ingest round %d: %d raw records in %.2f s = %.0f records/s end to end, %.0f records/s steady after %.2f s joining the group (accepted %d, rejected %d, duplicate %d, obs.traffic %d, obs.context %d)",
                    round, result.records, result.seconds, result.recordsPerSecond, result.steadyRecordsPerSecond, result.startupSeconds,
                    result.outcome.accepted, rejected, result.outcome.duplicates, result.outcome.trafficEmitted,
                    result.outcome.contextEmitted))
            results.append(result)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let steady = results.map(\.steadyRecordsPerSecond)
        let endToEnd = results.map(\.recordsPerSecond)
        print(
            String(
                format: "ingest: median of %d round(s): %.0f records/s end to end (%.0f–%.0f), %.0f records/s steady state (%.0f–%.0f)",
                results.count, median(endToEnd), endToEnd.min() ?? 0, endToEnd.max() ?? 0, median(steady), steady.min() ?? 0,
                steady.max() ?? 0))
        guard let typical = results.sorted(by: { $0.steadyRecordsPerSecond < $1.steadyRecordsPerSecond }).dropFirst(results.count / 2).first
        else { return }
        print("ingest: where the median round's time went (db steps are inside the transaction; publish runs beside the next one):")
        for (phase, seconds) in typical.phases {
            print("  " + phase.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%7.2f s", seconds))
        }
    }
}

/// The `ingest` subcommand; wired into `cablecar-bench` by adding `IngestBench.self` to its subcommands.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Raw records/s through ingest, end to end.")
    @Option var records = 250_000
    @Option(help: "Broker list of a running stack (cablecar stack up).") var brokers = "127.0.0.1:19092"
    @Option(help: "Postgres URL of a running stack; the run creates a database of its own there.")
    var database = "postgres://postgres@127.0.0.1:55432/cablecar"
    @Option(help: "Raw messages per database transaction.") var batchSize = 5_000
    @Option(help: "Runs over the same records, each on a database and topics of its own; the median is reported.") var rounds = 1
    @Option(help: "Log level of the pipeline (info shows partition assignment).") var logLevel = "warning"
    @Option(help: "librdkafka debug contexts for the pipeline's clients (e.g. cgrp: each group-join step, timestamped).")
    var kafkaDebug: String?

    func run() async throws {
        try await IngestBenchmark.run(
            records: records, brokers: brokers, databaseURL: database, batchSize: batchSize, rounds: rounds,
            logLevel: Logger.Level(rawValue: logLevel) ?? .warning, kafkaDebug: kafkaDebug)
    }
}
