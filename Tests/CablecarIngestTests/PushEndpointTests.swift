import CablecarDomain
import CablecarKafka
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarIngest

/// The HTTP push endpoint and the report routes, through Hummingbird's router with a real
/// broker and Postgres behind them.
@Suite("Ingest HTTP API")
struct PushEndpointTests {
    static let now = EpochMillis(Date().timeIntervalSince1970 * 1000)

    func loopJSON(_ sensor: String, speed: String = "42.5", count: String = "12", time: EpochMillis = now) -> String {
        "{\"event_time\":\(time),\"interval_s\":60,\"occupancy\":0.1,\"sensor_id\":\"\(sensor)\",\"speed_kmh\":\(speed),\"v\":1,\"vehicle_count\":\(count)}"
    }

    func answer(_ response: TestResponse) throws -> PushHandler.Answer {
        try JSONDecoder().decode(PushHandler.Answer.self, from: Data(buffer: response.body))
    }

    @Test("bad input gets a 4xx with a reason; good input is published; the service stays up")
    func pushEndpoint() async throws {
        try await IngestHarness.with { harness in
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(brokers: harness.brokers)),
                logger: TestStack.logger)
            let push = PushHandler(
                validator: RecordValidator(catalog: harness.catalog, futureToleranceMillis: 300_000), producer: producer, bodyLimit: 4_096,
                topicPrefix: harness.configuration.topicPrefix)
            let router = Router()
            IngestRoutes.add(to: router, database: harness.database, catalog: harness.catalog, push: push, logger: TestStack.logger)
            let app = Application(router: router)
            let sensor = try #require(harness.catalog.city.sensors.first { $0.kind == .loopDetector }).id
            let bad: [(body: String, status: HTTPResponse.Status, reason: String)] = [
                ("{\"v\":1,", .badRequest, "malformed_json"),
                (loopJSON(sensor, count: "\"twelve\""), .badRequest, "wrong_type"),
                (loopJSON(sensor, speed: "\"NaN\""), .badRequest, "not_finite"),
                (loopJSON(sensor, speed: "-5"), .badRequest, "out_of_range"),
                (loopJSON("loop-nope"), .badRequest, "unknown_sensor"),
                (loopJSON(sensor, time: Self.now + 6 * 3_600_000), .badRequest, "future_timestamp"),
                ("[" + loopJSON(sensor) + "," + loopJSON("loop-nope") + "]", .badRequest, "unknown_sensor"),
                ("\"just a string\"", .badRequest, "wrong_type"),
                (String(repeating: " ", count: 5_000) + loopJSON(sensor), .contentTooLarge, "oversized"),
            ]
            try await app.test(.router) { client in
                for (body, status, reason) in bad {
                    try await client.execute(uri: "/api/v1/ingest/loop", method: .post, body: ByteBuffer(string: body)) { response in
                        #expect(response.status == status, "\(body.prefix(60))")
                        #expect((try? answer(response))?.reason == reason, "\(body.prefix(60))")
                    }
                }
                try await client.execute(uri: "/api/v1/ingest/trains", method: .post, body: ByteBuffer(string: loopJSON(sensor))) {
                    response in
                    #expect(response.status == .notFound)
                    #expect((try? answer(response))?.reason == "unknown_feed")
                }
                let array = "[" + loopJSON(sensor) + "," + loopJSON(sensor, time: Self.now - 60_000) + "]"
                try await client.execute(uri: "/api/v1/ingest/loop", method: .post, body: ByteBuffer(string: array)) { response in
                    #expect(response.status == .accepted)
                    #expect((try? answer(response))?.accepted == 2)
                }
                try await client.execute(uri: "/api/v1/accounting", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect((try? JSONDecoder().decode(AccountingReport.self, from: Data(buffer: response.body))) != nil)
                }
                try await client.execute(uri: "/api/v1/quality", method: .get) { response in
                    #expect(response.status == .ok)
                    let report = try? JSONDecoder().decode(QualityReport.self, from: Data(buffer: response.body))
                    #expect(report?.neighborhoods.count == harness.catalog.neighborhoods.count)
                }
            }
            let published = try await harness.drain(.rawLoop, quiet: .seconds(2))
            #expect(published.count == 2, "only the accepted body reached raw.loop")
            let decoded = try published.map { try WireCodec.decode(LoopDetectorReading.self, from: $0) }
            #expect(decoded.allSatisfy { $0.sensorID == sensor })
            await producer.close()
        }
    }
}
