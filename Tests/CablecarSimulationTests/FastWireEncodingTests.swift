import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

/// The simulator writes JSON by hand for speed; it must be exactly what WireCodec writes.
@Suite("Hand-written wire JSON")
struct FastWireEncodingTests {
    func reencoded<Message: SchemaVersioned>(_ type: Message.Type, _ bytes: [UInt8]) throws -> [UInt8] {
        try WireCodec.encode(try WireCodec.decode(type, from: bytes))
    }

    @Test func everyRecordOfADayMatchesWireCodec() throws {
        let scenario = Scenario(
            name: "events",
            changes: [ScenarioChange(kind: .construction, fromDay: 0, neighborhoods: ["soma"], lanesClosed: 1)],
            forced: [
                ForcedIncident(kind: .collision, day: 0, at: "08:00", durationMinutes: 30, segment: "seg-soma-10-02-s", lanesBlocked: 1)
            ])
        let output = try Fixtures.run(
            seed: 41, scenario: scenario, rates: FeedRates(loopIntervalSeconds: 60, cameraIntervalSeconds: 60, gpsIntervalSeconds: 15))
        var mismatches: [String] = []
        var perTopic: [Topic: Int] = [:]
        for record in output.records {
            let expected: [UInt8]
            switch record.topic {
            case .rawLoop: expected = try reencoded(LoopDetectorReading.self, record.value)
            case .rawCamera: expected = try reencoded(CameraCount.self, record.value)
            case .rawGPS: expected = try reencoded(TransitPosition.self, record.value)
            case .rawWeather: expected = try reencoded(WeatherReport.self, record.value)
            default: expected = try reencoded(CityEvent.self, record.value)
            }
            perTopic[record.topic, default: 0] += 1
            if expected != record.value, mismatches.count < 5 {
                mismatches.append("\(String(decoding: record.value, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(Set(perTopic.keys) == Set(Topic.rawFeeds))
    }

    @Test func awkwardValuesMatchToo() throws {
        let readings = [0.0, -0.0, 1e-7, 123_456_789.125, 1e21, 0.1 + 0.2, 42].map {
            LoopDetectorReading(
                sensorID: "loop-\"q\"\\/x", eventTime: -5, intervalSeconds: 60, vehicleCount: 0, occupancy: $0, speedKmh: -$0)
        }
        for reading in readings { #expect(try reading.wireBytes() == (try WireCodec.encode(reading))) }
        let events = [
            CityEvent(
                eventID: "e", kind: .game, status: .scheduled, eventTime: 1, neighborhood: "n", segments: [], startsAt: 2, endsAt: 3,
                expectedAttendance: 4, lanesBlocked: 5),
            CityEvent(
                eventID: "e", kind: .closure, status: .cleared, eventTime: 1, neighborhood: "n", segments: ["a", "b"], startsAt: 2,
                endsAt: nil),
        ]
        for event in events { #expect(try event.wireBytes() == (try WireCodec.encode(event))) }
    }
}
