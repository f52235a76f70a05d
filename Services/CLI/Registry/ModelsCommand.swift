import ArgumentParser
import CablecarDomain
import CablecarRegistryAPI
import Foundation

/// `cablecar models`: registered models, their versions and stages; promote and roll back.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Registered models: list, show, lineage, promote, rollback (admin actions need CABLECAR_REGISTRY_ADMIN_TOKEN).",
        subcommands: [List.self, Show.self, Lineage.self, Promote.self, Rollback.self]
    )

    typealias Connection = RunsCommand.Connection

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered models.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let models = try await connection.client.get("/api/v1/models", as: [RegisteredModel].self)
            let rows = models.map { model in
                [
                    model.name, model.aliases.sorted { $0.key < $1.key }.map { "\($0.key)=v\($0.value)" }.joined(separator: ","),
                    RegistryFormatting.time(model.updatedAt), model.description,
                ]
            }
            print(RegistryFormatting.table(["MODEL", "ALIASES", "UPDATED", "DESCRIPTION"], rows))
        }
    }

    struct Detail: Decodable {
        var model: RegisteredModel
        var versions: [ModelVersion]
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model's versions with stage, run and aliases.")
        @OptionGroup var connection: Connection
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            let detail = try await connection.client.get("/api/v1/models/\(RegistryClient.escape(name))", as: Detail.self)
            print("model \(detail.model.name)" + (detail.model.description.isEmpty ? "" : ": \(detail.model.description)"))
            print(RegistryFormatting.table(RegistryFormatting.versionHeader, detail.versions.map(RegistryFormatting.version)))
        }
    }

    struct Lineage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where a version came from: run, dataset, features, code, stage history.")
        @OptionGroup var connection: Connection
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number.") var version: Int

        func run() async throws {
            let lineage = try await connection.client.get(
                "/api/v1/models/\(RegistryClient.escape(name))/versions/\(version)/lineage", as: ModelLineage.self)
            let v = lineage.version
            print("model \(v.modelName) version \(v.version): \(v.stage.rawValue)")
            print("source: \(v.source)  artifact: \(v.artifactPath.isEmpty ? "-" : v.artifactPath)  sha256: \(v.artifactSHA256 ?? "-")")
            if let run = lineage.run {
                print("experiment: \(lineage.experimentName ?? String(run.experimentID))")
                print(RegistryFormatting.run(run))
            } else {
                print("run: -")
            }
            print("stage history:")
            let rows = lineage.transitions.map {
                [RegistryFormatting.time($0.occurredAt), $0.fromStage?.rawValue ?? "-", $0.toStage.rawValue, $0.actor, $0.reason]
            }
            print(RegistryFormatting.table(["WHEN", "FROM", "TO", "ACTOR", "REASON"], rows))
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a version to a stage (default production; the previous production version is archived).")
        @OptionGroup var connection: Connection
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number.") var version: Int
        @Option(name: .long, help: "Target stage: candidate, staging, production or archived.") var stage: String = "production"
        @Option(name: .long, help: "Why (recorded in the audit log).") var reason: String

        func run() async throws {
            guard let target = ModelStage(rawValue: stage.lowercased()) else {
                throw ValidationError("unknown stage '\(stage)'; expected candidate, staging, production or archived")
            }
            struct Body: Encodable {
                var stage: ModelStage
                var reason: String
            }
            let result = try await connection.client.post(
                "/api/v1/models/\(RegistryClient.escape(name))/versions/\(version)/transition", body: Body(stage: target, reason: reason),
                as: ModelVersion.self)
            print("\(result.modelName) version \(result.version) is now \(result.stage.rawValue)")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an earlier version production again; the current production version is archived.")
        @OptionGroup var connection: Connection
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version to restore.") var version: Int
        @Option(name: .long, help: "Why (recorded in the audit log).") var reason: String

        func run() async throws {
            struct Body: Encodable {
                var version: Int
                var reason: String
            }
            let result = try await connection.client.post(
                "/api/v1/models/\(RegistryClient.escape(name))/rollback", body: Body(version: version, reason: reason),
                as: ModelVersion.self)
            print("\(result.modelName) rolled back: version \(result.version) is now \(result.stage.rawValue)")
        }
    }
}
