import ArgumentParser
import CablecarDrift
import Foundation

/// `cablecar drift`: drift reports between data sets. All logic lives in CablecarDrift; this file
/// only turns flags into `DriftCompareRunner.Options` and errors into exit codes.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare data sets for distribution drift, per group.",
        subcommands: [Compare.self, DriftReportCommand.self]
    )

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a current CSV file with a reference CSV file, per group and feature.",
            discussion: """
                Tests follow Evidently's defaults: for a reference of at most 1,000 rows, Kolmogorov-Smirnov \
                (numerical), chi-square (few values or categorical) or Z (binary); above that, normed \
                Wasserstein (numerical) or Jensen-Shannon. A group drifts when at least half its features do. \
                Exit status: 0 compared, 64 bad arguments, 65 bad data, 66 unreadable input, 73 unwritable output.
                """
        )

        @Option(name: .long, help: ArgumentHelp("Reference CSV file.", valueName: "REF.csv"))
        var reference: String

        @Option(name: .long, help: ArgumentHelp("Current CSV file.", valueName: "CUR.csv"))
        var current: String

        @Option(name: .long, help: ArgumentHelp("Column naming the groups, e.g. neighborhood.", valueName: "column"))
        var by: String

        @Option(name: .long, help: ArgumentHelp("Comma-separated features to compare (default: every other column).", valueName: "a,b,..."))
        var features: String?

        @Option(name: .long, help: ArgumentHelp("Comma-separated features to treat as categories.", valueName: "x,y"))
        var categorical: String?

        @Option(name: .long, help: "Output format: table, json or html.")
        var format: String = "table"

        @Option(name: .long, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "FILE"))
        var output: String?

        @Flag(name: .long, help: "Treat non-numeric values in numerical columns as missing (with a warning) instead of failing.")
        var skipNonNumeric = false

        func run() async throws {
            guard let reportFormat = CablecarDrift.ReportFormat(rawValue: format) else {
                throw ValidationError("--format must be table, json or html, not '\(format)'")
            }
            let options = CablecarDrift.DriftCompareRunner.Options(
                referencePath: reference, currentPath: current,
                columns: CablecarDrift.ColumnRequest(
                    groupColumn: by, features: features.map(Self.list), categorical: categorical.map(Self.list) ?? []),
                format: reportFormat, outputPath: output, skipNonNumeric: skipNonNumeric)
            do {
                let result = try await CablecarDrift.DriftCompareRunner.run(options)
                if output == nil {
                    FileHandle.standardOutput.write(Data(result.output.utf8))
                } else if let output {
                    FileHandle.standardError.write(
                        Data(
                            "wrote \(reportFormat.rawValue) report to \(output): \(result.report.driftedGroups) of \(result.report.groups.count) groups drifted\n"
                                .utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode(error.exitCode)
            }
        }

        static func list(_ text: String) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
