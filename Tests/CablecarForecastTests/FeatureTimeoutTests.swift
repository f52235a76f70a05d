import CablecarFeatureClient
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarForecast

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Feature store timeout")
struct FeatureTimeoutTests {
    @Test("a feature store that never answers counts as unavailable after the timeout, not after the HTTP client's minute")
    func silentFeatureStoreTimesOut() async throws {
        let listener = try SilentListener()
        let url = try #require(URL(string: "http://127.0.0.1:\(listener.port)"))
        // A session that would wait an hour: only the source's limit can end the call.
        let configuration = URLSessionConfiguration.default
        configuration.timeoutIntervalForRequest = 3600
        let session = URLSession(configuration: configuration)
        let source = FeatureClientSource(
            client: FeatureClient(baseURL: url, cacheTTL: .zero, recordSnapshots: false, session: session),
            timeout: .milliseconds(300))
        await #expect(throws: TimeLimitExceeded.self) { _ = try await source.online(segments: ["seg-1"]) }
    }
}
