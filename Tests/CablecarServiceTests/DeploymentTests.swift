import CablecarService
import CablecarTestSupport
import Foundation
import Testing

/// The deployment files checked structurally against the code: every service, image, command,
/// port, variable and dependency must line up. scripts/compose-test runs the compose stack for
/// real and scripts/lint-deploy validates the files with kubernetes-validate, hadolint and actionlint.
@Suite("Deployment files agree with the code")
struct DeploymentTests {
    static let root = TestStack.repositoryRoot
    static let cablecarServices = ["ingest": 8081, "features": 8082, "trainer": 8083, "forecast": 8084, "monitor": 8085]

    /// YAML → JSON through PyYAML (scripts/bootstrap installs it), so anchors and merges resolve as Compose resolves them.
    static func loadYAML(_ path: String) throws -> [Any] {
        let script = "import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"
        let output = try ProcessRunnerForTests.run(["python3", "-c", script, root.appendingPathComponent(path).path])
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [Any])
    }

    static var packageManifest: String { (try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? "" }
    static var readme: String { (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? "" }

    /// Every CABLECAR_ variable a deployment sets must be one the code reads and README documents.
    static func checkVariableIsKnown(_ name: String) {
        guard name.hasPrefix("CABLECAR_") else { return }
        #expect(readme.contains("`\(name)`"), "\(name) is set in a deployment file but missing from README's configuration table")
    }

    @Test("docker-compose: every service, command, port, variable and dependency is consistent")
    func compose() throws {
        let document = try #require(try Self.loadYAML("deploy/docker-compose.yml").first as? [String: Any])
        let services = try #require(document["services"] as? [String: [String: Any]])
        for required in ["kafka", "postgres", "simulator", "prometheus", "grafana"] + Self.cablecarServices.keys.sorted() {
            #expect(services[required] != nil, "compose lacks \(required)")
        }
        for (name, port) in Self.cablecarServices {
            let service = try #require(services[name])
            let build = try #require(service["build"] as? [String: Any])
            #expect(build["dockerfile"] as? String == "deploy/Dockerfile")
            let command = try #require((service["command"] as? [String])?.first)
            #expect(command == "cablecar-\(name)")
            #expect(Self.packageManifest.contains(".executable(name: \"\(command)\""), "\(command) is not a product of Package.swift")
            let environment = try #require(service["environment"] as? [String: Any])
            #expect(environment["CABLECAR_HTTP_PORT"] as? String == "\(port)")
            #expect((service["ports"] as? [String])?.contains("\(port):\(port)") == true)
            let brokers = try #require(environment["CABLECAR_KAFKA_BROKERS"] as? String)
            #expect(brokers.split(separator: ",").allSatisfy { services[String($0.split(separator: ":")[0])] != nil })
            let database = try #require(environment["CABLECAR_DATABASE_URL"] as? String)
            #expect(database.contains("@postgres:5432/"))
            for key in environment.keys { Self.checkVariableIsKnown(key) }
            let healthcheck = try #require(service["healthcheck"] as? [String: Any])
            // cablecar-forecast is ready only once a production model exists, which a fresh stack
            // has after its first training: its container is healthy when alive.
            let probe = name == "forecast" ? "/health/live" : "/health/ready"
            #expect((healthcheck["test"] as? [String])?.joined(separator: " ").contains(probe) == true, "\(name)")
            let dependencies = try #require(service["depends_on"] as? [String: Any])
            #expect(Set(dependencies.keys) == ["kafka", "postgres"])
        }
        for (name, service) in services {
            let dependencies =
                (service["depends_on"] as? [String: Any]).map { Array($0.keys) } ?? (service["depends_on"] as? [String] ?? [])
            for dependency in dependencies { #expect(services[dependency] != nil, "\(name) depends on unknown \(dependency)") }
        }
        let simulator = try #require(services["simulator"]?["command"] as? [String])
        #expect(simulator.first == "cablecar-sim" && simulator.contains("--brokers"))
    }

    @Test("Prometheus scrapes every service at its port")
    func prometheus() throws {
        let document = try #require(try Self.loadYAML("deploy/prometheus/prometheus.yml").first as? [String: Any])
        let jobs = try #require(document["scrape_configs"] as? [[String: Any]])
        let targets = jobs.flatMap { (($0["static_configs"] as? [[String: Any]]) ?? []).flatMap { ($0["targets"] as? [String]) ?? [] } }
        #expect(Set(targets) == Set(Self.cablecarServices.map { "\($0.key):\($0.value)" }))
    }

    @Test("Kubernetes manifests: commands exist, probes hit the health endpoints, ports agree")
    func kubernetes() throws {
        for (name, port) in Self.cablecarServices {
            let documents = try Self.loadYAML("deploy/k8s/\(name).yaml").compactMap { $0 as? [String: Any] }
            let deployment = try #require(documents.first { $0["kind"] as? String == "Deployment" })
            let spec = try #require((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])
            let container = try #require(((spec["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
            #expect((container["command"] as? [String])?.first == "cablecar-\(name)")
            #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == port)
            let env = (container["env"] as? [[String: Any]]) ?? []
            #expect(env.contains { $0["name"] as? String == "CABLECAR_HTTP_PORT" && $0["value"] as? String == "\(port)" })
            for entry in env { if let key = entry["name"] as? String { Self.checkVariableIsKnown(key) } }
            let liveness = (container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
            let readiness = (container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
            #expect(liveness?["path"] as? String == "/health/live")
            #expect(readiness?["path"] as? String == "/health/ready")
            let service = try #require(documents.first { $0["kind"] as? String == "Service" })
            #expect(((service["spec"] as? [String: Any])?["ports"] as? [[String: Any]])?.first?["port"] as? Int == port)
        }
        let shared = try Self.loadYAML("deploy/k8s/00-namespace-config.yaml").compactMap { $0 as? [String: Any] }
        let config = try #require(shared.first { $0["kind"] as? String == "ConfigMap" }?["data"] as? [String: String])
        for key in config.keys { Self.checkVariableIsKnown(key) }
    }

    @Test("every variable the common configuration reads is in README's table")
    func readmeDocumentsCommonVariables() {
        for variable in CommonConfiguration.variables(defaultHTTPPort: 0) {
            #expect(Self.readme.contains("`\(variable.name)`"), "README lacks \(variable.name)")
        }
    }
}
