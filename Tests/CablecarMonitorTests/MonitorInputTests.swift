import CablecarDomain
import CablecarKafka
import Testing

@testable import CablecarMonitor

@Suite struct MonitorInputTests {
    static let forecast = Forecast(
        requestID: "r1", segmentID: "s1", neighborhood: "Alpha", eventTime: 1_767_571_200_000, horizonMinutes: 15,
        predictedSpeedKmh: 40, predictedFlowVehiclesPerHour: 900, modelName: "traffic", modelVersion: 2, role: .production,
        featureStep: 1_767_570_900_000, baselineSpeedKmh: 42, baselineFlowVehiclesPerHour: 850)

    func decode(_ bytes: [UInt8], topic: String = "forecast.predictions") -> MonitorInput {
        MonitorInput.decode(
            KafkaMessage(topic: topic, partition: 0, offset: 0, key: nil, value: bytes, timestamp: nil),
            predictionsTopic: "forecast.predictions", trafficTopic: "obs.traffic")
    }

    @Test func validForecastDecodes() throws {
        #expect(decode(try WireCodec.encode(Self.forecast)) == .prediction(Self.forecast))
    }

    @Test func outOfRangeValuesAreRejectedWithAReason() throws {
        var f = Self.forecast
        f.predictedSpeedKmh = 1e300
        guard case .rejected(let reason) = decode(try WireCodec.encode(f)) else {
            Issue.record("accepted")
            return
        }
        #expect(reason.contains("predicted_speed_kmh"))
        f = Self.forecast
        f.horizonMinutes = -5
        guard case .rejected(let horizon) = decode(try WireCodec.encode(f)) else {
            Issue.record("accepted")
            return
        }
        #expect(horizon.contains("horizon_min"))
        guard case .rejected(let json) = decode(Array("{\"v\":2}".utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(json.contains("missing"))
    }

    @Test func servedFeaturesAreCheckedBeforeTheyAreStored() throws {
        var f = Self.forecast
        f.features = ["speed_lag_1": 38.5, "flow_lag_1": 870]
        #expect(decode(try WireCodec.encode(f)) == .prediction(f))
        let hostile: [(String, [UInt8])] = [
            ("outside", Array(#"{"speed_lag_1": 1e300}"#.utf8)),
            ("characters", Array(#"{"": 1}"#.utf8)),
            ("more than", Array(("{" + (0...MonitorInput.maxFeatures).map { "\"f\($0)\": 1" }.joined(separator: ",") + "}").utf8)),
            ("features", Array(#"{"speed_lag_1": "fast"}"#.utf8)),
            ("features", Array(#"[1, 2]"#.utf8)),
        ]
        var base = try WireCodec.encode(Self.forecast)
        base.removeLast()  // the closing brace
        for (expected, features) in hostile {
            let message = base + Array(#","features":"#.utf8) + features + [UInt8(ascii: "}")]
            guard case .rejected(let reason) = decode(message) else {
                Issue.record("accepted features \(String(decoding: features.prefix(60), as: UTF8.self))")
                continue
            }
            #expect(reason.contains(expected), "\(reason)")
        }
    }

    @Test func observationWithNegativeRevisionIsRejected() throws {
        let o = TrafficObservation(
            segmentID: "s1", neighborhood: "Alpha", eventTime: 1_767_571_200_000, flowVehiclesPerHour: 900, speedKmh: 40, occupancy: 0.2,
            sampleCount: 3, revision: -1, ingestTime: 1_767_571_500_000)
        guard case .rejected(let reason) = decode(try WireCodec.encode(o), topic: "obs.traffic") else {
            Issue.record("accepted")
            return
        }
        #expect(reason.contains("revision"))
    }

    @Test func testPeriodMetricNamesParse() {
        let entries = TestErrorStore.parse([
            "test.candidate.speed_kmh.h15.mae": 2.5, "test.candidate.flow_veh_h.h60.Old Town.mae": 80,
            "test.candidate.speed_kmh.h15.rmse": 3, "test.historical_average.speed_kmh.h15.mae": 4, "test.candidate.speed_kmh.hx.mae": 1,
        ])
        #expect(
            entries == [
                .init(neighborhood: "", target: "speed_kmh", horizon: 15, mae: 2.5),
                .init(neighborhood: "Old Town", target: "flow_veh_h", horizon: 60, mae: 80),
            ])
    }
}
