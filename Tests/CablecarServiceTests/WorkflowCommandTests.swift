import CablecarTestSupport
import Foundation
import Testing

/// The CI, CD and CT workflows (ci/*.yml) run the repository's own scripts and files: every path
/// a `run:` step names exists, every option it passes to a script is one the script parses,
/// every executable it runs from .build is a product, and every service it loops over has a
/// compose service and a Kubernetes manifest. actionlint (scripts/lint-deploy) checks the syntax.
@Suite("Workflow files run commands that exist")
struct WorkflowCommandTests {
    static let root = TestStack.repositoryRoot
    static let workflows = ["ci/ci.yml", "ci/cd.yml", "ci/ct.yml"]

    /// Every `run:` script of a workflow, in order.
    static func runSteps(_ path: String) throws -> [String] {
        let document = try #require(try DeploymentTests.loadYAML(path).first as? [String: Any])
        let jobs = try #require(document["jobs"] as? [String: [String: Any]], "\(path) has no jobs")
        return jobs.keys.sorted().flatMap { name in
            ((jobs[name]?["steps"] as? [[String: Any]]) ?? []).compactMap { $0["run"] as? String }
        }
    }

    /// Shell words of a script, with line continuations joined and quotes removed.
    static func words(_ script: String) -> [String] {
        script.replacingOccurrences(of: "\\\n", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" || $0 == "(" || $0 == ")" })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
            .filter { !$0.isEmpty }
    }

    static func exists(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(relativePath).path)
    }

    @Test("every workflow exists and runs at least one of the repository's scripts", arguments: workflows)
    func runsRepositoryScripts(_ path: String) throws {
        #expect(Self.exists(path), "\(path) is missing")
        let scripts = try Self.runSteps(path).flatMap(Self.words).filter { $0.hasPrefix("scripts/") || $0.hasPrefix(".ci/") }
        #expect(!scripts.isEmpty, "\(path) runs none of the repository's scripts")
    }

    @Test("paths, script options, executables and services named by run: steps exist", arguments: workflows)
    func commandsExist(_ path: String) throws {
        let manifest = DeploymentTests.packageManifest
        let compose = try #require(try DeploymentTests.loadYAML("deploy/docker-compose.yml").first as? [String: Any])
        let services = Set(((compose["services"] as? [String: Any]) ?? [:]).keys)
        for script in try Self.runSteps(path) {
            for line in script.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n") {
                try checkCommand(Self.words(String(line)), in: path, manifest: manifest)
            }
            for loop in script.components(separatedBy: "for service in ").dropFirst() {
                let names = loop.prefix { $0 != ";" && $0 != "\n" }.split(separator: " ").map(String.init)
                #expect(!names.isEmpty)
                for name in names {
                    #expect(services.contains(name), "\(path) loops over \(name), which is not a compose service")
                    #expect(Self.exists("deploy/k8s/\(name).yaml"), "\(path) loops over \(name), which has no Kubernetes manifest")
                }
            }
        }
    }

    /// One shell command line: paths exist, options are parsed by the script they go to,
    /// executables from .build are products.
    func checkCommand(_ words: [String], in path: String, manifest: String) throws {
        for (index, word) in words.enumerated() {
            if word.hasPrefix("scripts/") || word.hasPrefix(".ci/") || word.hasPrefix("deploy/") {
                #expect(Self.exists(word), "\(path) runs \(word), which does not exist")
            }
            if word.hasPrefix("scripts/"), Self.exists(word) {
                let source = try String(contentsOf: Self.root.appendingPathComponent(word), encoding: .utf8)
                for option in words[(index + 1)...].prefix(while: { $0 != "&&" && $0 != "|" && $0 != "||" })
                where option.hasPrefix("--") {
                    #expect(source.contains("\(option))"), "\(path) passes \(option) to \(word), which does not parse it")
                }
            }
            if word.hasPrefix(".build/"), let product = word.split(separator: "/").last {
                #expect(manifest.contains(".executable(name: \"\(product)\""), "\(path) runs \(word), not a product of Package.swift")
            }
        }
    }

    @Test("the CI workflow runs exactly the README's test command through .ci/run")
    func ciRunsTheTestCommand() throws {
        let runs = try Self.runSteps("ci/ci.yml")
        #expect(runs.contains("bash .ci/run"))
        let ciRun = try String(contentsOf: Self.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ciRun.contains("scripts/test"))
        let test = try String(contentsOf: Self.root.appendingPathComponent("scripts/test"), encoding: .utf8)
        #expect(test.contains("scripts/lint-deploy") && test.contains("scripts/compose-test"))
    }
}
