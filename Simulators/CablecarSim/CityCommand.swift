import ArgumentParser
import CablecarDomain
import CablecarSimulation
import Foundation

/// `cablecar-sim city`: what the city looks like, or regenerate the bundled one.
struct CityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city",
        abstract: "Print a summary of the city (neighborhoods, segments, sensors, routes, venues).")

    @Option(help: "City definition JSON (default: the bundled SF-like city).")
    var city: String?

    @Flag(help: "Write the bundled city's JSON as generated from scratch (see scripts/sim-generate-city).")
    var generate = false

    @Option(help: "With --generate: write here instead of standard output.")
    var output: String?

    func run() throws {
        if generate {
            let data = try SyntheticCityGenerator.json(SyntheticCityGenerator.generate())
            if let output {
                try data.write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(data)
            }
            return
        }
        let definition = try loadCity(city)
        for line in CitySummary.lines(definition) { print(line) }
    }
}

func loadCity(_ path: String?) throws -> CityDefinition {
    if let path { return try CityDefinition.load(from: URL(fileURLWithPath: path)) }
    return try CityDefinition.bundledDefault()
}
