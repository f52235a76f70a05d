import CablecarDomain
import CablecarKafka
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarForecast

/// Bad input gets a 4xx with a reason; the prediction log's buffer is bounded and counts drops.
@Suite("Request validation and the prediction log buffer")
struct RequestValidationTests {
    static let validator = RequestValidator(catalog: ForecastFixture.catalog, maxSegments: 3)

    static func code(_ body: ForecastRequestBody) -> String? {
        do {
            _ = try validator.validate(body)
            return nil
        } catch let error as ServiceError {
            #expect((400..<500).contains(error.status.code), "\(error)")
            return error.code
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func refusesWhatCannotBeServed() {
        #expect(Self.code(ForecastRequestBody()) == "invalid_request")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], neighborhood: "north")) == "invalid_request")
        #expect(Self.code(ForecastRequestBody(segments: [])) == "empty_batch")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1", "seg-a-2", "seg-b-1", "seg-b-2"])) == "batch_too_large")
        #expect(Self.code(ForecastRequestBody(segments: ["nope"])) == "unknown_segment")
        #expect(Self.code(ForecastRequestBody(neighborhood: "atlantis")) == "unknown_neighborhood")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], horizons: [45])) == "unknown_horizon")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], horizons: [])) == "unknown_horizon")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], horizons: [Int.max])) == "unknown_horizon")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], targets: ["occupancy"])) == "unknown_target")
        #expect(Self.code(ForecastRequestBody(segments: ["seg-a-1"], requestID: String(repeating: "x", count: 200))) == "invalid_request")
    }

    /// A field sent as null, or a field the document does not have, is refused rather than read
    /// as "use the default" (schemathesis found `"share": null` starting a rollout with share 0).
    @Test func nullAndUnknownFieldsAreRefused() throws {
        func decodes<T: Decodable>(_ type: T.Type, _ json: String) -> Bool {
            (try? JSONDecoder().decode(T.self, from: Data(json.utf8))) != nil
        }
        #expect(decodes(ForecastRequestBody.self, #"{"segments":["seg-a-1"],"horizons":[15]}"#))
        #expect(!decodes(ForecastRequestBody.self, #"{"segments":["seg-a-1"],"horizons":null}"#))
        #expect(!decodes(ForecastRequestBody.self, #"{"segments":null,"neighborhood":"north"}"#))
        #expect(!decodes(ForecastRequestBody.self, #"{"segments":["seg-a-1"],"horizon":[15]}"#), "a misspelt field")
        #expect(decodes(Rollout.self, #"{"mode":"canary","version":2,"share":0.5}"#))
        #expect(decodes(Rollout.self, #"{"mode":"off"}"#))
        #expect(!decodes(Rollout.self, #"{"mode":"off","share":null,"version":0}"#))
        #expect(decodes(Rollout.self, #"{"mode":"off","version":null}"#), "the document allows a null version")
    }

    @Test func acceptsAndNormalizes() throws {
        let query = try Self.validator.validate(
            ForecastRequestBody(segments: ["seg-a-1", "seg-a-1", "seg-b-2"], horizons: [60, 15, 60], targets: ["speed", "speed_kmh"]))
        #expect(query.segments == ["seg-a-1", "seg-b-2"])
        #expect(query.horizons == [60, 15])
        #expect(query.targets == [.speed])
        let neighborhood = try Self.validator.validate(ForecastRequestBody(neighborhood: "North Beach"))
        #expect(neighborhood.segments == ["seg-a-1", "seg-a-2"])
        #expect(neighborhood.horizons == [15, 30, 60])
        #expect(neighborhood.targets == [.speed, .flow])
        #expect(try RequestValidator.integers("15, 30", name: "horizons") == [15, 30])
        #expect(throws: ServiceError.self) { try RequestValidator.integers("15,x", name: "horizons") }
        #expect(throws: ServiceError.self) { try RequestValidator.integers("99999999999999999999999", name: "horizons") }
    }

    @Test func featureClockNeverGoesBack() {
        let clock = ServingClock(mode: .features, now: { 1_000_000_000 })
        #expect(clock.issueTime(newestFeatureStep: nil) == 999_900_000)
        #expect(clock.issueTime(newestFeatureStep: 600_000) == 600_000)
        #expect(clock.issueTime(newestFeatureStep: 300_000) == 600_000)
        #expect(clock.issueTime(newestFeatureStep: nil) == 600_000)
        let wall = ServingClock(mode: .wall, now: { 1_000_123_456 })
        #expect(wall.issueTime(newestFeatureStep: 5) == 999_900_000)
    }

    @Test func bufferIsBoundedAndCountsDrops() throws {
        // A broker nobody listens on: nothing is delivered, and record() must still return at once.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: "127.0.0.1:9", clientID: "forecast-test"), deliveryTimeoutMilliseconds: 1000),
            logger: TestStack.logger)
        let log = PredictionLog(producer: producer, topic: "nowhere", capacity: 10, logger: TestStack.logger)
        let started = ContinuousClock.now
        for index in 0..<25 {
            log.record([
                Forecast(
                    segmentID: "s\(index)", neighborhood: "n", eventTime: 0, horizonMinutes: 15, predictedSpeedKmh: 1,
                    predictedFlowVehiclesPerHour: nil, modelName: "m", modelVersion: 1, role: .production)
            ])
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(log.buffered == 10)
        #expect(log.dropped == 15)
    }
}
