import ArgumentParser

/// `cablecar`: the operator CLI.
@main
struct Cablecar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cablecar",
        abstract: "Operate Cablecar: the local stack, replays, drift reports, runs and models.",
        subcommands: [StackCommand.self, RunCommand.self, ChaosCommand.self, DriftCommand.self, RunsCommand.self, ModelsCommand.self]
    )
}
