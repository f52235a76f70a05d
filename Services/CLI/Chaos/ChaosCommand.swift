import ArgumentParser
import CablecarLocalStack
import CablecarSimulation
import Foundation

/// `cablecar chaos`: the same replay twice through ingest and the feature store, once
/// uninterrupted and once with services killed (-9) and the database stopped at random points,
/// then every output compared (see `ChaosDigest`). Exits 1 when any output differs.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Replay with services killed and the database stopped at random points; compare every output with an uninterrupted run.",
        discussion: """
            Each run gets a stack of its own under a new directory in the system's temporary directory (ports \
            55442/19102 and 55443/19103; ingest and the \
            feature store on 8081 and 8082, so no `cablecar run` may be running meanwhile). The faults fall at \
            seeded random times between 10 % and 80 % of the uninterrupted run's duration.
            """)

    @Option(help: "Simulated days replayed.") var days = 1
    @Option(help: "First simulated day, YYYY-MM-DD.") var start = "2025-03-03"
    @Option(help: "Random seed of the simulated city.") var seed = 42
    @Option(help: "Services killed (-9) and restarted, alternately ingest and the feature store.") var crashes = 4
    @Option(help: "Seconds the database is stopped for, once (0: no outage).") var outageSeconds = 15
    @Option(help: "Seed of the fault times.") var faultSeed: UInt64 = 7
    @Flag(help: "Leave both stacks running afterwards, to look into the differences.") var keepStacks = false

    func validate() throws {
        guard (1...14).contains(days) else { throw ValidationError("--days must be 1 to 14") }
        guard (0...20).contains(crashes) else { throw ValidationError("--crashes must be 0 to 20") }
        guard (0...600).contains(outageSeconds) else { throw ValidationError("--outage-seconds must be 0 to 600") }
    }

    func run() async throws {
        // The broker binary is found where the main stack finds it.
        setenv("CABLECAR_TANSU_BIN", try TansuBroker.locateBinary(home: LocalStack.defaultHome()).path, 0)
        // The stacks live in a directory of their own under the system's temporary directory: run
        // as root, the database server runs as the postgres user, which must reach its directory
        // (a checkout under a private directory would refuse it).
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cablecar-chaos-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        chmod(home.path, 0o755)
        print("chaos: stacks and service logs under \(home.path)")
        let replay = [
            "replay", "--days", "\(days)", "--start", start, "--seed", "\(seed)", "--faults", "light", "--speed", "max",
        ]
        let reference = ChaosRun(
            label: "uninterrupted", home: home.appendingPathComponent("uninterrupted"), postgresPort: 55442, brokerPort: 19102,
            replay: replay, faults: [], keepStack: keepStacks)
        let (expected, took) = try await reference.run()
        print("[uninterrupted] caught up \(ChaosFault.seconds(took)) after the replay started")

        let faults = Self.schedule(crashes: crashes, outage: .seconds(outageSeconds), within: took, seed: faultSeed)
        let faulted = ChaosRun(
            label: "faulted", home: home.appendingPathComponent("faulted"), postgresPort: 55443, brokerPort: 19103,
            replay: replay, faults: faults, keepStack: keepStacks)
        let (actual, faultedTook) = try await faulted.run()
        print("[faulted] caught up \(ChaosFault.seconds(faultedTook)) after the replay started")

        let differences = ChaosDifference.compare(expected, actual)
        print("\noutputs of the faulted run against the uninterrupted one:")
        for difference in differences { print(difference.rendered) }
        let failed = differences.filter { $0.count > 0 }
        if failed.isEmpty {
            print("\nevery output is identical: nothing lost, nothing doubled, the same training set")
        } else {
            print("\n\(failed.count) output(s) differ")
            throw ExitCode(1)
        }
    }

    /// Crashes alternate between ingest and the feature store; the outage (if any) falls among
    /// them. Times are uniform in [10 %, 80 %] of `within`, from a seeded generator.
    static func schedule(crashes: Int, outage: Duration, within: Duration, seed: UInt64) -> [ChaosFault] {
        var generator = SeededRandom(seed: seed)
        let span = within / .milliseconds(1)
        func time() -> Duration { .milliseconds(Int64(span * generator.uniform(0.1...0.8))) }
        var faults: [ChaosFault] = (0..<crashes).map { index in
            .crash(service: index % 2 == 0 ? "cablecar-ingest" : "cablecar-features", at: time())
        }
        if outage > .zero { faults.append(.databaseOutage(at: time(), lasting: outage)) }
        return faults.sorted { $0.at < $1.at }
    }
}
