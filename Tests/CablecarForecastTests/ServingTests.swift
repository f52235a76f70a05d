import CablecarDomain
import CablecarForecasting
import CablecarKafka
import CablecarRegistry
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

@testable import CablecarForecast

/// The forecaster and its routes in process, over a real registry in Postgres (models fitted on
/// the fixture and registered as versions) and the real broker.
@Suite("Forecast serving")
struct ServingTests {
    static let v1 = RoutingTests.v1
    static let v2 = RoutingTests.v2
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func servesTheProductionVersionAndLogsEveryPrediction() async throws {
        try await ForecastHarness.with { h in
            try await h.register(Self.v1)
            #expect(await h.manager.refreshProduction())
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(brokers: h.brokers), lingerMilliseconds: 1),
                logger: TestStack.logger)
            let log = PredictionLog(producer: producer, topic: h.predictionsTopic, capacity: 1000, logger: TestStack.logger)
            let drainer = Task { try await log.run() }
            let components = h.components(sink: log)
            let requestID = "r-1"
            try await h.application(components).test(.router) { client in
                try await client.execute(
                    uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders,
                    body: Self.body(#"{"segments":["seg-a-1","seg-b-2"],"request_id":"r-1"}"#)
                ) { response in
                    #expect(response.status == .ok)
                    let answer = try JSONDecoder().decode(ForecastAnswer.self, from: Data(response.body.readableBytesView))
                    #expect(answer.requestID == requestID)
                    #expect(answer.forecasts.count == 6)
                    #expect(answer.featureStep == ForecastFixture.lastStep)
                    #expect(answer.issueTime == ForecastFixture.lastStep)
                    for item in answer.forecasts {
                        #expect(item.role == "production")
                        #expect(!item.fallback)
                        #expect(item.modelVersion == 1)
                        #expect(item.featureStep == ForecastFixture.lastStep)
                        #expect(item.targetTime == item.issueTime + EpochMillis(item.horizonMinutes) * 60_000)
                        let speed = try #require(item.speedKmh)
                        #expect(speed > 10 && speed < 80)
                        #expect(item.flowVehiclesPerHour != nil)
                    }
                }
                try await client.execute(uri: "/v1/forecasts/seg-a-2?horizons=30&targets=speed_kmh", method: .get) { response in
                    #expect(response.status == .ok)
                    let answer = try JSONDecoder().decode(ForecastAnswer.self, from: Data(response.body.readableBytesView))
                    #expect(answer.forecasts.count == 1)
                    #expect(answer.forecasts.first?.speedKmh != nil)
                    #expect(answer.forecasts.first?.flowVehiclesPerHour == nil)
                }
            }
            let logged = try await h.consumePredictions(expected: 7)
            drainer.cancel()
            let first = logged.filter { $0.forecast.requestID == requestID }
            #expect(first.count == 6)
            for (key, forecast) in first {
                #expect(key == forecast.segmentID)
                #expect(forecast.version == Forecast.currentVersion)
                #expect(forecast.role == .production)
                #expect(forecast.modelName == ForecastHarness.modelName)
                #expect(forecast.modelVersion == 1)
                #expect(forecast.featureStep == ForecastFixture.lastStep)
                #expect(forecast.baselineSpeedKmh != nil && forecast.baselineFlowVehiclesPerHour != nil)
                #expect(forecast.latencyMicros != nil)
                #expect(forecast.fallbackReason == nil)
                #expect(["north", "south"].contains(forecast.neighborhood))
            }
            // The served features go once per segment, with the first horizon the model answered.
            let carrying = first.map(\.forecast).filter { $0.features != nil }
            #expect(carrying.count == Set(first.map(\.forecast.segmentID)).count)
            for forecast in carrying {
                let shortest = first.map(\.forecast).filter { $0.segmentID == forecast.segmentID }.map(\.horizonMinutes).min()
                #expect(forecast.horizonMinutes == shortest)
                #expect((forecast.features?.count ?? 0) > 0)
                #expect(forecast.features?.values.allSatisfy { $0.isFinite } == true)
            }
        }
    }

    @Test func fallsBackToTheHistoricalAverageWithAReason() async throws {
        try await ForecastHarness.with { h in
            try await h.register(Self.v1)
            await h.manager.refreshProduction()
            let features = StaticFeatureSource(ForecastFixture.online(segments: ["seg-a-1", "seg-a-2", "seg-b-1"]))
            let sink = MemorySink()
            let forecaster = h.components(features: features, sink: sink).forecaster
            var answer = try await forecaster.forecast(
                ForecastQuery(requestID: "f", segments: ["seg-a-1", "seg-b-2"], horizons: [15], targets: [.speed, .flow]))
            let missing = try #require(answer.forecasts.first { $0.segmentID == "seg-b-2" })
            #expect(missing.fallback && missing.role == "fallback" && missing.fallbackReason == "features_missing")
            #expect(missing.featureStep == nil)
            let baseline = try #require(Baseline(model: Self.v1))
            #expect(missing.speedKmh == baseline.value(.speed, segmentID: "seg-b-2", targetTime: missing.targetTime))
            #expect(missing.flowVehiclesPerHour == baseline.value(.flow, segmentID: "seg-b-2", targetTime: missing.targetTime))
            #expect(answer.forecasts.first { $0.segmentID == "seg-a-1" }?.fallback == false)

            // Features older than the maximum age (15 minutes by default).
            features.set(ForecastFixture.online(at: ForecastFixture.lastStep - 30 * 60_000))
            answer = try await forecaster.forecast(ForecastQuery(requestID: "s", segments: ["seg-a-1"], horizons: [30], targets: [.speed]))
            #expect(answer.forecasts.first?.fallbackReason == "features_stale")
            #expect(answer.forecasts.first?.speedKmh != nil)

            // The feature store is down.
            features.fail(with: HarnessFailure("connection refused"))
            answer = try await forecaster.forecast(ForecastQuery(requestID: "d", segments: ["seg-a-2"], horizons: [60], targets: [.flow]))
            #expect(answer.forecasts.first?.fallbackReason == "features_unavailable")
            #expect(answer.forecasts.first?.flowVehiclesPerHour != nil)

            let logged = sink.all.filter { $0.role == .fallback }
            #expect(Set(logged.compactMap(\.fallbackReason)) == ["features_missing", "features_stale", "features_unavailable"])
            #expect(logged.allSatisfy { $0.modelVersion == 1 && $0.baselineSpeedKmh != nil })
        }
    }

    @Test func refusesACorruptArtifactAndKeepsServing() async throws {
        try await ForecastHarness.with { h in
            try await h.register(Self.v1)
            #expect(await h.manager.refreshProduction())
            let second = try await h.register(Self.v2, stage: nil)
            try await h.database.query(
                """
                UPDATE registry_artifacts SET content = convert_to('{"tampered": true}', 'UTF8')
                WHERE run_id = (SELECT run_id FROM registry_model_versions WHERE model_name = \(ForecastHarness.modelName) AND version = \(second))
                """, logger: TestStack.logger)
            _ = try await h.store.transition(
                modelName: ForecastHarness.modelName, version: second, to: .production, actor: "t", reason: "t")
            #expect(await h.manager.refreshProduction())
            #expect(h.manager.holder.current.production?.version == 1)
            let error = try #require(await h.manager.lastError)
            #expect(error.contains("refusing"))
            let answer = try await h.components().forecaster.forecast(
                ForecastQuery(requestID: "c", segments: ["seg-a-1"], horizons: [15], targets: [.speed]))
            #expect(answer.forecasts.first?.modelVersion == 1)
        }
    }

    @Test func withoutAProductionVersionItIsNotReadyAndSays503() async throws {
        try await ForecastHarness.with { h in
            #expect(await h.manager.refreshProduction() == false)
            #expect(await ModelReadiness(holder: h.manager.holder).isReady() == false)
            try await h.application(h.components()).test(.router) { client in
                try await client.execute(
                    uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: Self.body(#"{"segments":["seg-a-1"]}"#)
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    let body = try ForecastHarness.json(response.body.readableBytesView)
                    #expect((body["error"] as? String)?.contains("no production version") == true)
                }
                try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
            }
            try await h.register(Self.v1)
            #expect(await h.manager.refreshProduction())
            #expect(await ModelReadiness(holder: h.manager.holder).isReady())
        }
    }

    @Test func badInputIsA4xxWithAReason() async throws {
        try await ForecastHarness.with { h in
            try await h.register(Self.v1)
            await h.manager.refreshProduction()
            let cases: [(String, String)] = [
                ("{", "invalid_json"), (#"{"segments":"seg-a-1"}"#, "invalid_json"), (#"{"segments":[1]}"#, "invalid_json"),
                (#"{"segments":["seg-a-1"],"horizons":["15"]}"#, "invalid_json"), ("[]", "invalid_json"), ("null", "invalid_json"),
                (#"{"segments":["seg-a-1"],"horizons":[1e30]}"#, "invalid_json"), (#"{"segments":[]}"#, "empty_batch"),
                (#"{"segments":["zzz"]}"#, "unknown_segment"), (#"{"segments":["seg-a-1"],"horizons":[20]}"#, "unknown_horizon"),
                (#"{"segments":["seg-a-1"],"targets":["rain"]}"#, "unknown_target"), (#"{}"#, "invalid_request"),
                (#"{"neighborhood":"x"}"#, "unknown_neighborhood"),
            ]
            let configuration = h.configuration(maxSegments: 3)
            try await h.application(h.components(configuration: configuration)).test(.router) { client in
                for (body, code) in cases {
                    try await client.execute(uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: Self.body(body)) {
                        response in
                        #expect(response.status == .badRequest, "\(body)")
                        let answer = try ForecastHarness.json(response.body.readableBytesView)
                        #expect(answer["code"] as? String == code, "\(body): \(answer)")
                        #expect((answer["error"] as? String)?.isEmpty == false)
                    }
                }
                let many = #"{"segments":["seg-a-1","seg-a-2","seg-b-1","seg-b-2"]}"#
                try await client.execute(uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: Self.body(many)) {
                    response in
                    #expect(response.status == .badRequest)
                }
                let huge = "{\"segments\":[\"" + String(repeating: "a", count: 300_000) + "\"]}"
                try await client.execute(uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: Self.body(huge)) {
                    response in
                    #expect(response.status == .contentTooLarge)
                }
                for uri in [
                    "/v1/forecasts/nope", "/v1/forecasts/seg-a-1?horizons=7", "/v1/forecasts/seg-a-1?horizons=x",
                    "/v1/forecasts/seg-a-1?targets=rain",
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect((400..<500).contains(response.status.code), "\(uri)")
                    }
                }
            }
        }
    }
}
