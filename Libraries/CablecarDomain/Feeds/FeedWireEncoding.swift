/// The five raw feed messages write their own wire JSON (see `FastWireEncodable`): the
/// simulator's time was about half `JSONEncoder` before. `FastWireEncodingTests` checks every
/// record of a simulated day against `WireCodec`.
extension LoopDetectorReading: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.int("event_time", eventTime)
        w.int("interval_s", intervalSeconds)
        w.double("occupancy", occupancy)
        w.string("sensor_id", sensorID)
        w.double("speed_kmh", speedKmh)
        w.int("v", version)
        w.int("vehicle_count", vehicleCount)
    }
}

extension CameraCount: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.int("bicycles", bicycles)
        w.int("buses", buses)
        w.int("cars", cars)
        w.int("event_time", eventTime)
        w.int("interval_s", intervalSeconds)
        w.string("sensor_id", sensorID)
        w.int("trucks", trucks)
        w.int("v", version)
    }
}

extension TransitPosition: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.double("delay_s", delaySeconds)
        w.double("distance_m", distanceMeters)
        w.int("event_time", eventTime)
        w.string("route_id", routeID)
        w.string("segment_id", segmentID)
        w.double("speed_kmh", speedKmh)
        w.int("v", version)
        w.string("vehicle_id", vehicleID)
    }
}

extension WeatherReport: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.int("event_time", eventTime)
        w.string("neighborhood", neighborhood)
        w.double("precipitation_mm_h", precipitationMmPerHour)
        w.string("station_id", stationID)
        w.double("temperature_c", temperatureCelsius)
        w.int("v", version)
        w.double("visibility_m", visibilityMeters)
    }
}

extension CityEvent: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        if let endsAt { w.int("ends_at", endsAt) }
        w.string("event_id", eventID)
        w.int("event_time", eventTime)
        if let expectedAttendance { w.int("expected_attendance", expectedAttendance) }
        w.string("kind", kind.rawValue)
        if let lanesBlocked { w.int("lanes_blocked", lanesBlocked) }
        w.string("neighborhood", neighborhood)
        w.strings("segments", segments)
        w.int("starts_at", startsAt)
        w.string("status", status.rawValue)
        w.int("v", version)
    }
}
