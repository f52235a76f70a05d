import CablecarRegistryAPI
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

@Suite("Registry configuration")
struct RegistryConfigurationTests {
    @Test func defaultsTokensAndBadValues() throws {
        let defaults = try RegistryConfiguration(environment: EnvironmentReader([:]))
        #expect(defaults.adminToken == nil)
        #expect(defaults.maxArtifactBytes == 64 << 20)
        #expect(defaults.http.adminToken == nil)
        let set = try RegistryConfiguration(
            environment: EnvironmentReader([
                "CABLECAR_REGISTRY_ADMIN_TOKEN": "s3cret", "CABLECAR_REGISTRY_MAX_ARTIFACT_BYTES": "1024",
            ]))
        #expect(set.adminToken == "s3cret")
        #expect(set.limits.maxArtifactBytes == 1024)
        #expect(try RegistryConfiguration(environment: EnvironmentReader(["CABLECAR_REGISTRY_ADMIN_TOKEN": ""])).adminToken == nil)
        let error = #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration(environment: EnvironmentReader(["CABLECAR_REGISTRY_MAX_REQUEST_BYTES": "lots"]))
        }
        #expect(error?.variable == "CABLECAR_REGISTRY_MAX_REQUEST_BYTES")
    }

    @Test func readmeDocumentsEveryRegistryVariable() throws {
        let readme = try String(contentsOf: TestStack.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for variable in RegistryConfiguration.variables {
            #expect(readme.contains("`\(variable.name)`"), "README lacks \(variable.name)")
        }
        #expect(readme.contains("`CABLECAR_TRAINER_URL`"))
    }
}
