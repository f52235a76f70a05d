import CablecarTestSupport
import Foundation
import Testing

/// Module boundaries that Package.swift must keep (docs/architecture.md, the module graph).
@Suite("Module boundaries")
struct ModuleBoundaryTests {
    /// The dependency names of one target, read from Package.swift's text.
    static func dependencies(of target: String) throws -> [String] {
        let manifest = try String(contentsOf: TestStack.repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let start = try #require(manifest.range(of: "name: \"\(target)\""), "\(target) is not a target of Package.swift")
        let rest = manifest[start.upperBound...]
        let end = try #require(rest.range(of: "path:"), "\(target) has no path")
        let block = rest[..<end.lowerBound]
        var names: [String] = []
        var remaining = block[...]
        while let open = remaining.firstIndex(of: "\"") {
            let afterOpen = remaining.index(after: open)
            guard let close = remaining[afterOpen...].firstIndex(of: "\"") else { break }
            names.append(String(remaining[afterOpen..<close]))
            remaining = remaining[remaining.index(after: close)...]
        }
        return names
    }

    @Test("the CLI talks to the services over their APIs: it links no Kafka, Postgres, HTTP server or registry store")
    func cliLinksOnlyClients() throws {
        let dependencies = try Self.dependencies(of: "CablecarCLI")
        #expect(dependencies.contains("CablecarRegistryAPI"), "the sanity of the parse: the CLI uses the registry's API types")
        for forbidden in ["CablecarKafka", "CablecarPostgres", "CablecarService", "CablecarRegistry", "postgres-nio", "hummingbird"] {
            #expect(!dependencies.contains(forbidden), "CablecarCLI depends on \(forbidden)")
        }
    }
}
