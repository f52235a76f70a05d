import CablecarDomain
import Foundation
import Testing

@Suite("Versioned JSON encodings of the domain messages")
struct WireFormatTests {
    func roundTrip<Message: SchemaVersioned>(_ message: Message) throws -> [String: Any] {
        let bytes = try WireCodec.encode(message)
        #expect(try WireCodec.decode(Message.self, from: bytes) == message)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("traffic observations keep their documented field names and units")
    func trafficObservation() throws {
        let observation = TrafficObservation(
            segmentID: "s-001", neighborhood: "mission", eventTime: 1_700_000_100_000, flowVehiclesPerHour: 1320.5, speedKmh: 38.2,
            occupancy: 0.21, sampleCount: 12, revision: 1, ingestTime: 1_700_000_500_000)
        let json = try roundTrip(observation)
        #expect(
            Set(json.keys) == [
                "v", "segment_id", "neighborhood", "event_time", "flow_veh_h", "speed_kmh", "occupancy", "sample_count", "revision",
                "ingest_time",
            ])
        #expect(json["v"] as? Int == 1)
    }

    @Test("a missing measurement is absent, not zero")
    func optionalFieldsAreOmitted() throws {
        let context = ContextObservation(
            neighborhood: "soma", eventTime: 0, temperatureCelsius: nil, precipitationMmPerHour: 1.5, visibilityMeters: nil,
            activeScheduledEvents: 1, activeIncidents: 0, transitDelaySeconds: nil, transitReports: 0, revision: 0, ingestTime: 0)
        let json = try roundTrip(context)
        #expect(json["temperature_c"] == nil)
        #expect(json["precipitation_mm_h"] as? Double == 1.5)
    }

    @Test("every feed and output type round-trips")
    func allTypesRoundTrip() throws {
        _ = try roundTrip(
            LoopDetectorReading(sensorID: "loop-1", eventTime: 5, intervalSeconds: 30, vehicleCount: 9, occupancy: 0.1, speedKmh: 44))
        _ = try roundTrip(CameraCount(sensorID: "cam-1", eventTime: 5, intervalSeconds: 60, cars: 10, trucks: 1, buses: 1, bicycles: 3))
        _ = try roundTrip(
            TransitPosition(
                vehicleID: "v1", routeID: "14", eventTime: 5, segmentID: "s-1", distanceMeters: 120, speedKmh: 18, delaySeconds: -30))
        _ = try roundTrip(
            WeatherReport(
                stationID: "w1", neighborhood: "sunset", eventTime: 5, temperatureCelsius: 14, precipitationMmPerHour: 0,
                visibilityMeters: 9000))
        _ = try roundTrip(
            CityEvent(
                eventID: "e1", kind: .collision, status: .started, eventTime: 5, neighborhood: "soma", segments: ["s-1"], startsAt: 5,
                endsAt: nil, lanesBlocked: 1))
        let forecast = Forecast(
            segmentID: "s-1", neighborhood: "soma", eventTime: 1_000, horizonMinutes: 30, predictedSpeedKmh: 31,
            predictedFlowVehiclesPerHour: nil, modelName: "ridge", modelVersion: 3, role: .canary)
        #expect(forecast.targetTime == 1_000 + 30 * 60_000)
        _ = try roundTrip(forecast)
        _ = try roundTrip(
            RejectedRecord(
                sourceTopic: "raw.loop", partition: 1, offset: 7, reason: .notFinite, detail: "speed_kmh is NaN", original: "e30=",
                eventTime: 5, rejectedAt: 6))
    }

    @Test("JSON has sorted keys, so identical messages give identical bytes")
    func stableBytes() throws {
        let reading = LoopDetectorReading(
            sensorID: "loop-1", eventTime: 5, intervalSeconds: 30, vehicleCount: 9, occupancy: 0.1, speedKmh: 44)
        let text = String(decoding: try WireCodec.encode(reading), as: UTF8.self)
        #expect(text == #"{"event_time":5,"interval_s":30,"occupancy":0.1,"sensor_id":"loop-1","speed_kmh":44,"v":1,"vehicle_count":9}"#)
    }

    @Test("NaN cannot be encoded: it would not be valid JSON")
    func nanIsRefused() {
        let reading = LoopDetectorReading(sensorID: "x", eventTime: 0, intervalSeconds: 30, vehicleCount: 0, occupancy: .nan, speedKmh: 1)
        #expect(throws: EncodingError.self) { try WireCodec.encode(reading) }
    }

    @Test(
        "five-minute intervals and week slots",
        arguments: [
            (Int64(0), Int64(0)), (Int64(299_999), Int64(0)), (Int64(300_000), Int64(300_000)), (Int64(-1), Int64(-300_000)),
        ])
    func intervals(time: Int64, start: Int64) {
        #expect(Interval.start(containing: time) == start)
    }

    @Test("Monday 00:00 UTC is slot 0 and slots cover the week")
    func weekSlots() {
        let monday: EpochMillis = 4 * 24 * 3600 * 1000  // 1970-01-05 was a Monday
        #expect(Interval.slotOfWeek(monday) == 0)
        #expect(Interval.slotOfWeek(monday - 1) == 2015)
        #expect(Interval.slotOfWeek(monday + 7 * 24 * 3600 * 1000 + 5 * 60_000) == 1)
    }

    @Test("a city referring to an unknown segment is refused with the reason")
    func cityValidation() {
        let city = CityDefinition(
            name: "t", timeZone: "UTC", neighborhoods: [Neighborhood(id: "n", name: "N", profile: .mixed)],
            segments: [
                RoadSegment(
                    id: "a", neighborhood: "n", lengthMeters: 100, lanes: 1, freeFlowSpeedKmh: 50, capacityPerLane: 1800, upstream: [],
                    downstream: ["b"])
            ],
            sensors: [], routes: [], venues: [])
        let error = #expect(throws: CityDefinitionError.self) { try city.validate() }
        #expect(error?.description.contains("unknown segment b") == true)
    }

    @Test("a city file that cannot be read is named, with what to do")
    func unreadableCity() {
        let missing = URL(fileURLWithPath: "no-such-directory-\(UInt32.random(in: 0...UInt32.max))/city.json")
        let error = #expect(throws: CityDefinitionError.self) { try CityDefinition.load(from: missing) }
        let message = error?.description ?? ""
        #expect(message.contains(missing.path))
        #expect(message.contains("working directory") && message.contains("CABLECAR_*_CITY"), "\(message)")
    }
}
