import ArgumentParser

/// `cablecar-sim`: the synthetic city and its feeds.
@main
struct CablecarSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cablecar-sim",
        abstract: "Simulate an SF-like city's traffic and replay its sensor, transit, weather and event feeds.",
        subcommands: [ReplayCommand.self, CityCommand.self, ImportCommand.self],
        defaultSubcommand: ReplayCommand.self
    )
}
