import CablecarDomain

/// Hand-written JSON for the five raw feed messages, byte-identical to `WireCodec.encode`
/// (sorted keys, numbers as Foundation writes them, absent optionals omitted).
///
/// Why: `JSONEncoder` was about half of the simulator's time (a keyed container, a
/// dictionary and a key sort per record); this writes the same bytes directly and roughly
/// doubles city-days per minute. `FastWireEncodingTests` checks every record of a
/// simulated day against `WireCodec`, so the two cannot drift apart unnoticed.
protocol FastWireEncodable: SchemaVersioned {
    /// Appends this message's JSON; keys must be written in sorted order.
    func appendWireJSON(to writer: inout WireJSONWriter)
}

extension FastWireEncodable {
    func wireBytes() -> [UInt8] {
        var writer = WireJSONWriter()
        appendWireJSON(to: &writer)
        return writer.finish()
    }
}

/// Builds one flat JSON object, field by field.
struct WireJSONWriter {
    private var bytes: [UInt8]
    private var first = true

    init() {
        bytes = []
        bytes.reserveCapacity(256)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func int<T: BinaryInteger>(_ name: StaticString, _ value: T) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Foundation writes a Double as its `description`, minus a trailing `.0`.
    mutating func double(_ name: StaticString, _ value: Double) {
        key(name)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONText.appendString(Array(value.utf8), to: &bytes)
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(Array(value.utf8), to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

extension LoopDetectorReading: FastWireEncodable {
    func appendWireJSON(to w: inout WireJSONWriter) {
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
    func appendWireJSON(to w: inout WireJSONWriter) {
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
    func appendWireJSON(to w: inout WireJSONWriter) {
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
    func appendWireJSON(to w: inout WireJSONWriter) {
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
    func appendWireJSON(to w: inout WireJSONWriter) {
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
