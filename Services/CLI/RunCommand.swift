import ArgumentParser
import CablecarLocalStack
import Foundation

/// `cablecar run`: the main job on local defaults. Brings the local stack up and runs the loop
/// that exists so far.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole loop locally: stack, simulated city replay, ingest, with a closing report."
    )

    @Option(help: "Simulated days to replay.") var days = 1
    @Option(help: "Random seed of the simulated city.") var seed = 42
    @Option(help: "Scenario file (see docs/scenarios.md).") var scenario: String?
    @Flag(help: "Stop the local stack when done.") var stopStack = false

    func run() async throws {
        let stack = LocalStack(home: LocalStack.defaultHome())
        let endpoints = try stack.up()
        print("stack: postgres \(endpoints.databaseURL), broker \(endpoints.kafkaBrokers)")
        try await LoopRunner(endpoints: endpoints, days: days, seed: seed, scenario: scenario).run()
        if stopStack { try stack.down() }
    }
}
