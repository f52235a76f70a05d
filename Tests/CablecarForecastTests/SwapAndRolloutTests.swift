import CablecarDomain
import CablecarForecasting
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarForecast

/// Hot swaps (under load, and driven by model.events on the real broker) and canary / shadow
/// rollouts through the admin endpoint.
@Suite("Hot swap and rollouts")
struct SwapAndRolloutTests {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    @Test func swapsRepeatedlyUnderLoadWithoutAFailedOrMixedResponse() async throws {
        try await ForecastHarness.with { h in
            try await h.register(RoutingTests.v1)
            try await h.register(RoutingTests.v2)
            #expect(await h.manager.refreshProduction())
            let segments = #"{"segments":["seg-a-1","seg-a-2","seg-b-1","seg-b-2"]}"#
            try await h.application(h.components()).test(.router) { client in
                let outcome = try await withThrowingTaskGroup(of: (ok: Int, failed: Int, mixed: Int, versions: Set<Int>)?.self) { group in
                    let done = ManagedFlag()
                    for _ in 0..<4 {
                        group.addTask {
                            var ok = 0
                            var failed = 0
                            var mixed = 0
                            var versions = Set<Int>()
                            while !done.isSet {
                                let response = try await client.execute(
                                    uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: segments))
                                guard response.status == .ok,
                                    let answer = try? JSONDecoder().decode(ForecastAnswer.self, from: Data(response.body.readableBytesView))
                                else {
                                    failed += 1
                                    continue
                                }
                                let seen = Set(answer.forecasts.map(\.modelVersion))
                                if seen.count != 1 || answer.forecasts.count != 12 { mixed += 1 }
                                versions.formUnion(seen)
                                ok += 1
                            }
                            return (ok, failed, mixed, versions)
                        }
                    }
                    group.addTask {
                        for round in 0..<10 {
                            let target = round % 2 == 0 ? 1 : 2
                            _ = try await h.store.transition(
                                modelName: ForecastHarness.modelName, version: target, to: .production, actor: "t", reason: "swap \(round)")
                            await h.manager.refreshProduction()
                            #expect(h.manager.holder.current.production?.version == target)
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        done.set()
                        return nil
                    }
                    var total = (ok: 0, failed: 0, mixed: 0, versions: Set<Int>())
                    for try await result in group {
                        guard let result else { continue }
                        total.ok += result.ok
                        total.failed += result.failed
                        total.mixed += result.mixed
                        total.versions.formUnion(result.versions)
                    }
                    return total
                }
                #expect(outcome.failed == 0)
                #expect(outcome.mixed == 0)
                #expect(outcome.ok > 20)
                #expect(outcome.versions == [1, 2], "both versions answered during the swaps")
            }
        }
    }

    @Test func modelEventsOnTheBrokerSwapTheProductionModel() async throws {
        try await ForecastHarness.with { h in
            try await h.register(RoutingTests.v1)
            let listener = try ModelEventListener(
                brokers: h.brokers, topic: h.eventsTopic, groupID: TestStack.uniqueName("forecast-models"), manager: h.manager,
                watch: nil, logger: TestStack.logger)
            let running = Task { try await listener.run() }
            defer { running.cancel() }
            #expect(try await Self.waitFor(version: 1, h))
            try await h.register(RoutingTests.v2)
            #expect(try await Self.waitFor(version: 2, h), "promotion of version 2 reached the server through model.events")
            _ = try await h.store.rollback(modelName: ForecastHarness.modelName, to: 1, actor: "t", reason: "roll back")
            #expect(try await Self.waitFor(version: 1, h), "the rollback reached the server through model.events")
        }
    }

    static func waitFor(version: Int, _ h: ForecastHarness) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if h.manager.holder.current.production?.version == version { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func adminEndpointRunsCanaryAndShadow() async throws {
        try await ForecastHarness.with { h in
            try await h.register(RoutingTests.v1)
            let staging = try await h.register(RoutingTests.v2, stage: .staging)
            await h.manager.refreshProduction()
            let sink = MemorySink()
            let auth: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(ForecastHarness.token)"]
            let all = #"{"segments":["seg-a-1","seg-a-2","seg-b-1","seg-b-2"]}"#

            // No token configured: every admin call is refused.
            try await h.application(h.components(configuration: h.configuration(adminToken: nil))).test(.router) { client in
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: auth, body: ByteBuffer(string: #"{"mode":"off"}"#)
                ) { response in #expect(response.status == .forbidden) }
            }
            try await h.application(h.components(sink: sink)).test(.router) { client in
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: #"{"mode":"off"}"#)
                ) { response in #expect(response.status == .unauthorized) }
                var wrong = auth
                wrong[.authorization] = "Bearer nope"
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: wrong, body: ByteBuffer(string: #"{"mode":"off"}"#)
                ) {
                    response in #expect(response.status == .forbidden)
                }
                for (body, status) in [
                    (#"{"mode":"canary","version":1,"share":0.5}"#, HTTPResponse.Status.conflict),
                    (#"{"mode":"canary","version":99,"share":0.5}"#, .notFound),
                    (#"{"mode":"canary","version":2,"share":7}"#, .badRequest), (#"{"mode":"sideways"}"#, .badRequest),
                ] {
                    try await client.execute(uri: "/v1/admin/rollout", method: .post, headers: auth, body: ByteBuffer(string: body)) {
                        response in
                        #expect(response.status == status, "\(body)")
                    }
                }

                // Canary to half of the segments, sticky by segment id.
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: auth,
                    body: ByteBuffer(string: #"{"mode":"canary","version":\#(staging),"share":0.5}"#)
                ) { response in #expect(response.status == .ok) }
                let rollout = Rollout(mode: .canary, version: staging, share: 0.5)
                for _ in 0..<3 {
                    try await client.execute(uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: all))
                    {
                        response in
                        let answer = try JSONDecoder().decode(ForecastAnswer.self, from: Data(response.body.readableBytesView))
                        for item in answer.forecasts {
                            let canary = rollout.isCanary(item.segmentID)
                            #expect(item.role == (canary ? "canary" : "production"))
                            #expect(item.modelVersion == (canary ? staging : 1))
                        }
                    }
                }

                // Shadow: computed and logged, never returned.
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: auth,
                    body: ByteBuffer(string: #"{"mode":"shadow","version":\#(staging)}"#)
                ) { response in #expect(response.status == .ok) }
                try await client.execute(uri: "/v1/admin/rollout", method: .get) { response in
                    let state = try JSONValue.parse(response.body.readableBytesView)
                    #expect(state["rollout"]?["mode"] == .string("shadow"))
                    #expect(state["candidate"]?["version"] == .number(Double(staging)))
                }
                let before = sink.all.count
                for _ in 0..<5 {
                    try await client.execute(uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: all))
                    {
                        response in
                        let text = String(decoding: response.body.readableBytesView, as: UTF8.self)
                        #expect(!text.contains("shadow"))
                        let answer = try JSONDecoder().decode(ForecastAnswer.self, from: Data(response.body.readableBytesView))
                        #expect(answer.forecasts.allSatisfy { $0.modelVersion == 1 && $0.role == "production" })
                    }
                }
                let shadows = sink.all.dropFirst(before).filter { $0.role == .shadow }
                #expect(shadows.count == 5 * 12)
                #expect(shadows.allSatisfy { $0.modelVersion == staging && $0.predictedSpeedKmh != nil })
                try await client.execute(
                    uri: "/v1/admin/rollout", method: .post, headers: auth, body: ByteBuffer(string: #"{"mode":"off"}"#)
                ) {
                    response in #expect(response.status == .ok)
                }
                #expect(h.manager.holder.current.candidate == nil)
            }
        }
    }
}

/// A flag set once, read by many tasks.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
