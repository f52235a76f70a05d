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

    @Test func searchBoundsComeFromTheEnvironment() throws {
        let defaults = try RegistryConfiguration(environment: EnvironmentReader([:]))
        #expect(defaults.http.maxConcurrentSearches == 4)
        #expect(defaults.limits.searchStatementTimeout == .seconds(15))
        let set = try RegistryConfiguration(
            environment: EnvironmentReader([
                "CABLECAR_REGISTRY_MAX_CONCURRENT_SEARCHES": "2", "CABLECAR_REGISTRY_SEARCH_TIMEOUT_MS": "2500",
            ]))
        #expect(set.http.maxConcurrentSearches == 2)
        #expect(set.limits.searchStatementTimeout == .milliseconds(2500))
        for (name, value) in [
            ("CABLECAR_REGISTRY_MAX_CONCURRENT_SEARCHES", "0"), ("CABLECAR_REGISTRY_MAX_CONCURRENT_SEARCHES", "65"),
            ("CABLECAR_REGISTRY_SEARCH_TIMEOUT_MS", "99"), ("CABLECAR_REGISTRY_SEARCH_TIMEOUT_MS", "-1"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try RegistryConfiguration(environment: EnvironmentReader([name: value]))
            }
            #expect(error?.variable == name, "\(name)=\(value)")
        }
    }

    /// Searches beyond the limit are refused at once, not queued; a finished one frees its place.
    @Test func searchesBeyondTheLimitAreRefusedAt429() async throws {
        let admission = SearchAdmission(limit: 2)
        let (entered, entering) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let holders = (0..<2).map { _ in
            Task {
                try await admission.admit {
                    entering.yield()
                    for await _ in released { break }
                }
            }
        }
        for _ in 0..<2 { try await nextSignal(from: entered, "a search holding its place") }
        #expect(admission.inFlight == 2)
        let refusal = await #expect(throws: APIError.self) { try await admission.admit { 1 } }
        #expect(refusal?.status == .tooManyRequests)
        #expect(refusal?.code == "RESOURCE_EXHAUSTED")
        #expect(refusal?.message.contains("CABLECAR_REGISTRY_MAX_CONCURRENT_SEARCHES") == true)
        release.finish()
        for holder in holders { try await holder.value }
        #expect(admission.inFlight == 0)
        #expect(try await admission.admit { 7 } == 7)
        // A search that fails frees its place too.
        await #expect(throws: APIError.self) { try await admission.admit { () async throws -> Int in throw APIError.invalid("bad") } }
        #expect(admission.inFlight == 0)
    }

    @Test func readmeDocumentsEveryRegistryVariable() throws {
        let readme = try String(contentsOf: TestStack.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for variable in RegistryConfiguration.variables {
            #expect(readme.contains("`\(variable.name)`"), "README lacks \(variable.name)")
        }
        #expect(readme.contains("`CABLECAR_TRAINER_URL`"))
    }
}
