import CablecarTestSupport
import Foundation
import Testing

/// `cablecar run` hands each drift to the simulator as command-line options. They once named
/// options the simulator did not have, and the serving days ran without any drift. Tied here
/// through both real parsers: what `cablecar run` would pass, `cablecar-sim replay` accepts and
/// resolves against the bundled city, as changes that start on the first serving day.
@Suite("Main job drifts reach the simulator")
struct MainJobDriftTests {
    static func lines(_ command: [String]) throws -> [String] {
        try ProcessRunnerForTests.run(command).split(separator: "\n").map(String.init)
    }

    @Test("every drift of cablecar run is a scenario cablecar-sim resolves", arguments: ["mission-construction", "soma-demand", "none"])
    func driftResolves(_ drift: String) throws {
        let cablecar = try ProductBinary.url("cablecar").path
        let simulator = try ProductBinary.url("cablecar-sim").path
        let arguments = try Self.lines([cablecar, "run", "--drift", drift, "--print-simulator-arguments"])
        #expect(arguments.count % 2 == 0, "options come in option/value pairs: \(arguments)")
        let output = try ProcessRunnerForTests.run([simulator, "replay", "--print-scenario"] + arguments)
        let scenario = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let changes = scenario["changes"] as? [[String: Any]] ?? []
        #expect(changes.count == arguments.count / 2, "\(drift): \(arguments) resolved to \(changes)")
        for change in changes {
            #expect(change["from_day"] as? Int == 0, "\(drift): a change starts after the first serving day: \(change)")
        }
        if drift != "none" { #expect(!changes.isEmpty) }
    }

    @Test("the simulator refuses a drift it cannot apply, naming the reason")
    func unknownNeighborhoodIsRefused() throws {
        let simulator = try ProductBinary.url("cablecar-sim").path
        #expect(throws: (any Error).self) {
            try ProcessRunnerForTests.run([simulator, "replay", "--print-scenario", "--construction", "atlantis:0:1"])
        }
        #expect(throws: (any Error).self) {
            try ProcessRunnerForTests.run([simulator, "replay", "--print-scenario", "--lane-closure", "mission:0:1"])
        }
    }
}
