import CablecarDomain
import CablecarFeatureClient
import CablecarFeatures
import Foundation
import Testing

@Suite struct FeatureClientCacheTests {
    @Test func entriesExpireAfterTheirTTL() async throws {
        let cache = TTLCache<String, Int>(ttl: .milliseconds(150))
        cache.store(7, for: "a")
        #expect(cache.value(for: "a") == 7)
        #expect(cache.value(for: "b") == nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.value(for: "a") == nil)
    }

    @Test func theCacheStaysBounded() {
        let cache = TTLCache<Int, Int>(ttl: .seconds(60), capacity: 10)
        for i in 0..<25 { cache.store(i, for: i) }
        #expect(cache.value(for: 24) == 24)
        #expect((0..<25).filter { cache.value(for: $0) != nil }.count <= 10)
    }

    /// Cached vectors are answered without any request: the client points at a closed port.
    @Test func onlineReadsAreServedFromTheCacheUntilTheyExpire() async throws {
        let client = FeatureClient(baseURL: URL(string: "http://127.0.0.1:9")!, cacheTTL: .milliseconds(200))
        let vector = OnlineFeatureVector(segmentID: "s-a", neighborhood: "north", timestamp: 1_000, values: [1.5, nil])
        client.prime(OnlineFeatureResponse(featureNames: ["x", "y"], featureVersions: ["x": 1, "y": 1], vectors: [vector], missing: []))
        let answer = try await client.online(segments: ["s-a"])
        #expect(answer.vectors == [vector])
        #expect(answer.featureNames == ["x", "y"])
        try await Task.sleep(for: .milliseconds(400))
        // Expired: the client must ask the (unreachable) store, and says so.
        await #expect(throws: (any Error).self) { try await client.online(segments: ["s-a"]) }
    }
}
