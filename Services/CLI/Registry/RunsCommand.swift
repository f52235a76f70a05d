import ArgumentParser
import CablecarRegistryAPI
import Foundation

/// `cablecar runs`: experiment runs recorded in the registry.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show and compare training runs (from the registry API of cablecar-trainer).",
        subcommands: [List.self, Show.self, Compare.self]
    )

    struct Connection: ParsableArguments {
        @Option(name: .long, help: "Registry base URL (default: $CABLECAR_TRAINER_URL or http://127.0.0.1:8083).")
        var url: String?

        var client: RegistryClient { RegistryClient(url: url) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var connection: Connection
        @Option(name: .long, help: "Only runs of this experiment (by name).") var experiment: String?
        @Option(name: .long, help: "Only runs with this status (RUNNING, FINISHED, FAILED, KILLED).") var status: String?
        @Option(name: .long, help: "At most this many runs.") var limit: Int = 50

        func run() async throws {
            var query = "?limit=\(limit)"
            if let experiment { query += "&experiment=\(RegistryClient.escape(experiment))" }
            if let status { query += "&status=\(RegistryClient.escape(status))" }
            let runs = try await connection.client.get("/api/v1/runs" + query, as: [Run].self)
            let rows = runs.map { run in
                [
                    run.id, String(run.experimentID), run.name, run.status.rawValue, RegistryFormatting.time(run.startTime),
                    RegistryFormatting.duration(run.durationMillis),
                    run.latestMetrics.sorted { $0.key < $1.key }.prefix(4).map { "\($0.key)=\(RegistryFormatting.number($0.value.value))" }
                        .joined(separator: " "),
                ]
            }
            print(RegistryFormatting.table(["RUN", "EXP", "NAME", "STATUS", "STARTED", "DURATION", "METRICS"], rows))
            print("\(runs.count) run(s)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: params, metrics, tags, lineage.")
        @OptionGroup var connection: Connection
        @Argument(help: "Run id (32 hex digits).") var runID: String

        func run() async throws {
            let run = try await connection.client.get("/api/v1/runs/\(RegistryClient.escape(runID))", as: Run.self)
            print(RegistryFormatting.run(run))
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare runs side by side; '*' marks values that differ.")
        @OptionGroup var connection: Connection
        @Argument(help: "Two or more run ids.") var runIDs: [String]

        func validate() throws {
            guard runIDs.count >= 2 else { throw ValidationError("compare needs at least two run ids") }
        }

        func run() async throws {
            var runs: [Run] = []
            for id in runIDs { runs.append(try await connection.client.get("/api/v1/runs/\(RegistryClient.escape(id))", as: Run.self)) }
            var rows: [[String]] = [
                ["status", ""] + runs.map(\.status.rawValue),
                ["duration", ""] + runs.map { RegistryFormatting.duration($0.durationMillis) },
                ["dataset", ""] + runs.map { $0.lineage.datasetFingerprint.map { String($0.prefix(12)) } ?? "-" },
                ["code", ""] + runs.map { $0.lineage.codeVersion.map { String($0.prefix(12)) } ?? "-" },
            ]
            for key in Set(runs.flatMap(\.params.keys)).sorted() {
                let values = runs.map { $0.params[key] ?? "-" }
                rows.append(["param \(key)", Set(values).count > 1 ? "*" : ""] + values)
            }
            for key in Set(runs.flatMap(\.latestMetrics.keys)).sorted() {
                let values = runs.map { $0.latestMetrics[key].map { RegistryFormatting.number($0.value) } ?? "-" }
                rows.append(["metric \(key)", Set(values).count > 1 ? "*" : ""] + values)
            }
            print(RegistryFormatting.table(["", ""] + runs.map { String($0.id.prefix(12)) }, rows))
        }
    }
}
