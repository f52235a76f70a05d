import CablecarDomain
import CablecarSimulation
import Foundation
import Testing

@testable import CablecarIngest

/// Every reason code the validator produces, from hand-written records against the bundled city.
@Suite("Record validation")
struct ValidationTests {
    static let catalog = CityCatalog(city: try! CityDefinition.bundledDefault())
    let validator = RecordValidator(catalog: catalog, futureToleranceMillis: 300_000)
    let now: EpochMillis = 1_741_017_600_000

    var loopSensor: Sensor { Self.catalog.city.sensors.first { $0.kind == .loopDetector }! }
    var cameraSensor: Sensor { Self.catalog.city.sensors.first { $0.kind == .camera }! }
    var route: TransitRoute { Self.catalog.city.routes[0] }
    var neighborhood: String { Self.catalog.city.neighborhoods[0].id }

    func loop(_ overrides: [String: String] = [:], removing: [String] = []) -> [UInt8] {
        var fields: [String: String] = [
            "v": "1", "sensor_id": "\"\(loopSensor.id)\"", "event_time": "\(now)", "interval_s": "60", "vehicle_count": "12",
            "occupancy": "0.12", "speed_kmh": "43.5",
        ]
        for (key, value) in overrides { fields[key] = value }
        for key in removing { fields[key] = nil }
        return Array(("{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}").utf8)
    }

    func reason(_ bytes: [UInt8], _ feed: Feed = .loop) -> RejectReason? {
        if case .failure(let rejection) = validator.validate(bytes, feed: feed, referenceTime: now) { return rejection.reason }
        return nil
    }

    @Test func cleanRecordsOfEveryFeedAreAccepted() throws {
        #expect(reason(loop()) == nil)
        let camera = CameraCount(sensorID: cameraSensor.id, eventTime: now, intervalSeconds: 60, cars: 10, trucks: 1, buses: 0, bicycles: 2)
        #expect(reason(try WireCodec.encode(camera), .camera) == nil)
        let gps = TransitPosition(
            vehicleID: "bus-1", routeID: route.id, eventTime: now, segmentID: route.segments[0], distanceMeters: 10, speedKmh: 20,
            delaySeconds: -5)
        #expect(reason(try WireCodec.encode(gps), .gps) == nil)
        let weather = WeatherReport(
            stationID: "ws-1", neighborhood: neighborhood, eventTime: now, temperatureCelsius: 14, precipitationMmPerHour: 0,
            visibilityMeters: 9000)
        #expect(reason(try WireCodec.encode(weather), .weather) == nil)
        let event = CityEvent(
            eventID: "e1", kind: .collision, status: .started, eventTime: now, neighborhood: neighborhood,
            segments: [route.segments[0]], startsAt: now, endsAt: nil)
        #expect(reason(try WireCodec.encode(event), .events) == nil)
    }

    @Test func acceptedLoopReadingCarriesItsSegmentAndNeighborhood() throws {
        let result = validator.validate(loop(), feed: .loop, referenceTime: now)
        guard case .success(.loop(let reading, let segment, let neighborhood)) = result else {
            Issue.record("expected an accepted loop reading, got \(result)")
            return
        }
        #expect(reading.vehicleCount == 12)
        #expect(segment == loopSensor.segment)
        #expect(neighborhood == Self.catalog.segments[loopSensor.segment])
    }

    @Test func malformedAndTruncatedJSON() {
        let good = loop()
        #expect(reason(Array(good.dropLast())) == .malformedJSON)
        #expect(reason(Array(good.prefix(10))) == .malformedJSON)
        #expect(reason(Array("{'v': 1}".utf8)) == .malformedJSON)
        #expect(reason(loop(["speed_kmh": "NaN"])) == .malformedJSON, "a bare NaN token is not JSON")
        #expect(reason(Array("[1,2]".utf8)) == .malformedJSON)
    }

    @Test func versionAndMissingFields() {
        #expect(reason(loop(["v": "99"])) == .unsupportedVersion)
        #expect(reason(loop(["v": "\"1\""])) == .unsupportedVersion)
        #expect(reason(loop(removing: ["v"])) == .missingField)
        #expect(reason(loop(removing: ["sensor_id"])) == .missingField)
        #expect(reason(loop(removing: ["event_time"])) == .missingField)
    }

    @Test func typesAndFiniteness() {
        #expect(reason(loop(["vehicle_count": "\"twelve\""])) == .wrongType)
        #expect(reason(loop(["vehicle_count": "12.5"])) == .wrongType)
        #expect(reason(loop(["sensor_id": "42"])) == .wrongType)
        #expect(reason(loop(["speed_kmh": "\"NaN\""])) == .notFinite)
        #expect(reason(loop(["occupancy": "\"Infinity\""])) == .notFinite)
        #expect(reason(loop(["speed_kmh": "\"-Infinity\""])) == .notFinite)
    }

    @Test func rangesAndUnits() {
        #expect(reason(loop(["speed_kmh": "-3"])) == .outOfRange)
        #expect(reason(loop(["speed_kmh": "450"])) == .outOfRange)
        #expect(reason(loop(["occupancy": "1.7"])) == .outOfRange)
        #expect(reason(loop(["vehicle_count": "-1"])) == .outOfRange)
        #expect(reason(loop(["interval_s": "0"])) == .outOfRange)
        let hot = WeatherReport(
            stationID: "ws", neighborhood: neighborhood, eventTime: now, temperatureCelsius: 85, precipitationMmPerHour: 0,
            visibilityMeters: 1)
        #expect(reason(try! WireCodec.encode(hot), .weather) == .outOfRange)
        let backwards = TransitPosition(
            vehicleID: "b", routeID: route.id, eventTime: now, segmentID: route.segments[0], distanceMeters: -1, speedKmh: 10,
            delaySeconds: 0)
        #expect(reason(try! WireCodec.encode(backwards), .gps) == .outOfRange)
    }

    @Test func unknownIdentifiers() throws {
        #expect(reason(loop(["sensor_id": "\"loop-nope\""])) == .unknownSensor)
        #expect(reason(loop(["sensor_id": "\"\(cameraSensor.id)\""])) == .unknownSensor, "a camera id on the loop feed")
        let gps = TransitPosition(
            vehicleID: "b", routeID: "route-nope", eventTime: now, segmentID: route.segments[0], distanceMeters: 1, speedKmh: 10,
            delaySeconds: 0)
        #expect(reason(try WireCodec.encode(gps), .gps) == .unknownRoute)
        var onNowhere = gps
        onNowhere.routeID = route.id
        onNowhere.segmentID = "seg-nowhere"
        #expect(reason(try WireCodec.encode(onNowhere), .gps) == .unknownSegment)
        let weather = WeatherReport(
            stationID: "ws", neighborhood: "atlantis", eventTime: now, temperatureCelsius: 10, precipitationMmPerHour: 0,
            visibilityMeters: 1)
        #expect(reason(try WireCodec.encode(weather), .weather) == .unknownNeighborhood)
        let event = CityEvent(
            eventID: "e", kind: .closure, status: .started, eventTime: now, neighborhood: neighborhood, segments: ["seg-nowhere"],
            startsAt: now, endsAt: nil)
        #expect(reason(try WireCodec.encode(event), .events) == .unknownSegment)
    }

    @Test func futureTimestampsRelativeToPublishTime() {
        #expect(reason(loop(["event_time": "\(now + 3 * 3_600_000)"])) == .futureTimestamp)
        #expect(reason(loop(["event_time": "\(now + 60_000)"])) == nil, "within the tolerance")
    }

    @Test func rejectionsKeepEventTimeAndNeighborhoodWhenReadable() {
        guard case .failure(let rejection) = validator.validate(loop(["speed_kmh": "-3"]), feed: .loop, referenceTime: now) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.eventTime == now)
        #expect(rejection.neighborhood == Self.catalog.sensors[loopSensor.id]?.neighborhood)
    }

    @Test func idempotencyKeysIdentifyTheSubjectAndTime() throws {
        guard case .success(let record) = validator.validate(loop(), feed: .loop, referenceTime: now) else {
            Issue.record("expected acceptance")
            return
        }
        #expect(record.idempotencyKey == "\(loopSensor.id)@\(now)")
    }
}
