import ArgumentParser
import CablecarLocalStack
import Foundation

/// `cablecar run`: the main job on local defaults. Brings the local stack up and runs the loop
/// that exists so far.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole loop locally: stack, simulated city replay, ingest, features, training, registry and promotion, with closing reports."
    )

    @Option(help: "Simulated days to replay.") var days = 1
    @Option(help: "Random seed of the simulated city.") var seed = 42
    @Option(help: "Scenario file (see docs/scenarios.md).") var scenario: String?
    @Flag(help: "Stop the local stack when done.") var stopStack = false
    @Flag(help: "Keep the data of a running stack instead of starting from an empty one.") var reuseStack = false

    func run() async throws {
        let stack = LocalStack(home: LocalStack.defaultHome())
        // The local broker keeps its log in memory: after a broker restart, offsets start again
        // at 0 while Postgres still remembers the old ones. A fresh stack keeps the two in step.
        if !reuseStack { try stack.down() }
        let endpoints = try stack.up()
        print("stack: postgres \(endpoints.databaseURL), broker \(endpoints.kafkaBrokers)")
        try await LoopRunner(endpoints: endpoints, days: days, seed: seed, scenario: scenario).run()
        if stopStack { try stack.down() }
    }
}
