import CablecarDomain
import Foundation

/// Decides whether one raw record is acceptable, and if not, why (a `RejectReason`).
///
/// Pure: the same bytes, city and reference time always give the same answer, so a
/// redelivered message is judged as it was the first time. Checks run in a fixed order —
/// JSON, schema version, fields and types, future event time, ranges, known ids — so that
/// a record with several problems always gets the same reason. Lateness depends on the
/// stream's watermark and is judged later, by `Watermark`.
public struct RecordValidator: Sendable {
    public let catalog: CityCatalog
    public let futureToleranceMillis: Int64

    /// The largest raw record that is read (64 KiB; the feeds' records are under 1 KiB). A larger
    /// one is refused `oversized` before it is parsed, and its dead letter keeps only its first
    /// 64 KiB: whole, base64 and wrapped, a record near the broker's 1 MB limit made a dead letter
    /// the broker refuses.
    public static let maximumRecordBytes = 65_536

    public init(catalog: CityCatalog, futureToleranceMillis: Int64) {
        self.catalog = catalog
        self.futureToleranceMillis = futureToleranceMillis
    }

    /// - Parameter referenceTime: when the record was published (the Kafka message timestamp,
    ///   or the wall clock for pushed records); event times beyond it plus the tolerance are future.
    public func validate(_ bytes: [UInt8], feed: Feed, referenceTime: EpochMillis) -> Result<AcceptedRecord, Rejection> {
        validate(bytes[...], feed: feed, referenceTime: referenceTime)
    }

    /// As `validate(_:feed:referenceTime:)`, reading a consumed message's slice in place.
    public func validate(_ bytes: ArraySlice<UInt8>, feed: Feed, referenceTime: EpochMillis) -> Result<AcceptedRecord, Rejection> {
        guard bytes.count <= Self.maximumRecordBytes else {
            return .failure(
                Rejection(.oversized, "the record has \(bytes.count) bytes; at most \(Self.maximumRecordBytes) are read"))
        }
        if let object = FlatJSONScanner.scan(bytes), let fields = scannedFields(object, feed: feed) {
            return judge(fields, versionProblem: nil, feed: feed, referenceTime: referenceTime)
        }
        return validateWithFoundation(bytes, feed: feed, referenceTime: referenceTime)
    }

    /// The scanner's object as fields, or nil when a hint or the version would need Foundation's
    /// exact `NSNumber` reading (a fractional event_time, a version other than the number 1): the
    /// Foundation path then judges the record, with its exact details.
    private func scannedFields(_ object: [String: JSONValue], feed: Feed) -> JSONFields? {
        var fields = JSONFields(object)
        switch object["event_time"] {
        case .number(let value):
            guard value.rounded() == value, abs(value) < 9e15 else { return nil }
            fields.eventTime = Int64(value)
        case .foundation: return nil
        case .string, .null, .strings, nil: break
        }
        switch object["v"] {
        case .number(let version) where version == 1: break
        case nil: break
        default: return nil
        }
        fields.neighborhood = neighborhoodHint(object, feed: feed)
        return fields
    }

    /// The reference reading, with `JSONSerialization`: every record the scanner leaves alone.
    func validateWithFoundation(
        _ bytes: some Collection<UInt8>, feed: Feed, referenceTime: EpochMillis
    ) -> Result<AcceptedRecord, Rejection> {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            return .failure(Rejection(.malformedJSON, "not valid JSON"))
        }
        guard let object = parsed as? [String: Any] else {
            return .failure(Rejection(.malformedJSON, "not a JSON object"))
        }
        var fields = JSONFields(object.mapValues(JSONValue.foundation))
        fields.eventTime = (object["event_time"] as? NSNumber).map { $0.int64Value }
        fields.neighborhood = neighborhoodHint(fields.object, feed: feed)
        var versionProblem: Rejection?
        if object["v"] != nil, !((object["v"] as? NSNumber).map { $0.doubleValue == 1 } ?? false) {
            versionProblem = Rejection(
                .unsupportedVersion, "schema version \(object["v"].map { "\($0)" } ?? "?") is not readable; this build reads v1")
        }
        return judge(fields, versionProblem: versionProblem, feed: feed, referenceTime: referenceTime)
    }

    private func judge(_ fields: JSONFields, versionProblem: Rejection?, feed: Feed, referenceTime: EpochMillis) -> Result<
        AcceptedRecord, Rejection
    > {
        do {
            guard fields.object["v"] != nil else { throw Rejection(.missingField, "v (schema version) is missing") }
            if let versionProblem { throw versionProblem }
            let record = try decode(feed, fields)
            // The reference time is a Kafka message timestamp (any Int64 a producer sets): the
            // sum and the difference are computed with overflow reported, never trapping.
            let limit = referenceTime.addingReportingOverflow(futureToleranceMillis)
            if !limit.overflow, record.eventTime > limit.partialValue {
                let ahead = record.eventTime.subtractingReportingOverflow(referenceTime)
                throw Rejection(
                    .futureTimestamp,
                    ahead.overflow
                        ? "event_time \(record.eventTime) is after its publish time \(referenceTime)"
                        : "event_time \(record.eventTime) is \(ahead.partialValue / 1000) s after its publish time")
            }
            try checkRangesAndIDs(record, fields)
            return .success(record)
        } catch let rejection as Rejection {
            var rejection = rejection
            rejection.eventTime = rejection.eventTime ?? fields.eventTime
            rejection.neighborhood = rejection.neighborhood ?? fields.neighborhood
            return .failure(rejection)
        } catch {
            return .failure(Rejection(.malformedJSON, "\(error)", eventTime: fields.eventTime))
        }
    }

    /// The neighborhood a (possibly broken) record speaks for, for accounting per neighborhood.
    private func neighborhoodHint(_ object: [String: JSONValue], feed: Feed) -> String? {
        switch feed {
        case .loop, .camera:
            return object["sensor_id"]?.asString.flatMap { catalog.sensors[$0]?.neighborhood }
        case .gps:
            return object["segment_id"]?.asString.flatMap { catalog.segments[$0] }
        case .weather, .events:
            return object["neighborhood"]?.asString.flatMap { catalog.neighborhoods.contains($0) ? $0 : nil }
        }
    }

    /// Reads the feed's fields in their documented order (missing and type errors first).
    private func decode(_ feed: Feed, _ f: JSONFields) throws -> AcceptedRecord {
        switch feed {
        case .loop:
            let reading = LoopDetectorReading(
                sensorID: try f.string("sensor_id"), eventTime: try f.int64("event_time"), intervalSeconds: try f.int("interval_s"),
                vehicleCount: try f.int("vehicle_count"), occupancy: try f.double("occupancy"), speedKmh: try f.double("speed_kmh"))
            let sensor = catalog.sensors[reading.sensorID]
            return .loop(reading, segment: sensor?.segment ?? "", neighborhood: sensor?.neighborhood ?? "")
        case .camera:
            let count = CameraCount(
                sensorID: try f.string("sensor_id"), eventTime: try f.int64("event_time"), intervalSeconds: try f.int("interval_s"),
                cars: try f.int("cars"), trucks: try f.int("trucks"), buses: try f.int("buses"), bicycles: try f.int("bicycles"))
            let sensor = catalog.sensors[count.sensorID]
            return .camera(count, segment: sensor?.segment ?? "", neighborhood: sensor?.neighborhood ?? "")
        case .gps:
            let position = TransitPosition(
                vehicleID: try f.string("vehicle_id"), routeID: try f.string("route_id"), eventTime: try f.int64("event_time"),
                segmentID: try f.string("segment_id"), distanceMeters: try f.double("distance_m"), speedKmh: try f.double("speed_kmh"),
                delaySeconds: try f.double("delay_s"))
            return .gps(position, neighborhood: catalog.segments[position.segmentID] ?? "")
        case .weather:
            return .weather(
                WeatherReport(
                    stationID: try f.string("station_id"), neighborhood: try f.string("neighborhood"), eventTime: try f.int64("event_time"),
                    temperatureCelsius: try f.double("temperature_c"), precipitationMmPerHour: try f.double("precipitation_mm_h"),
                    visibilityMeters: try f.double("visibility_m")))
        case .events:
            let eventID = try f.string("event_id")
            let kindText = try f.string("kind")
            let statusText = try f.string("status")
            let eventTime = try f.int64("event_time")
            let neighborhood = try f.string("neighborhood")
            let segments = try f.strings("segments")
            let startsAt = try f.int64("starts_at")
            let endsAt = try f.optionalInt("ends_at").map(Int64.init)
            guard let kind = CityEvent.Kind(rawValue: kindText) else { throw f.outOfRange("kind \(kindText) is not a known event kind") }
            guard let status = CityEvent.Status(rawValue: statusText) else {
                throw f.outOfRange("status \(statusText) is not a known status")
            }
            return .event(
                CityEvent(
                    eventID: eventID, kind: kind, status: status, eventTime: eventTime, neighborhood: neighborhood, segments: segments,
                    startsAt: startsAt, endsAt: endsAt, expectedAttendance: try f.optionalInt("expected_attendance"),
                    lanesBlocked: try f.optionalInt("lanes_blocked")))
        }
    }

    /// The longest reporting interval a sensor may declare (a day), and the largest count per reading.
    static let maxIntervalSeconds = 86_400
    static let maxCount = 1_000_000

    /// Units and physical ranges (see docs/ingest.md), then ids against the city.
    private func checkRangesAndIDs(_ record: AcceptedRecord, _ f: JSONFields) throws {
        // Times and counts are bounded before any arithmetic downstream (interval sums, quality
        // expectations, int4 columns): no number in a record can overflow or trap.
        if let problem = EpochBounds.problem("event_time", record.eventTime) { throw f.outOfRange(problem) }
        switch record {
        case .loop(let r, _, _):
            guard (1...Self.maxIntervalSeconds).contains(r.intervalSeconds) else {
                throw f.outOfRange("interval_s \(r.intervalSeconds) must be 1 to \(Self.maxIntervalSeconds)")
            }
            guard r.vehicleCount >= 0 else { throw f.outOfRange("vehicle_count \(r.vehicleCount) is negative") }
            guard r.vehicleCount <= Self.maxCount else { throw f.outOfRange("vehicle_count \(r.vehicleCount) exceeds \(Self.maxCount)") }
            guard (0...1).contains(r.occupancy) else { throw f.outOfRange("occupancy \(r.occupancy) is outside 0...1") }
            guard (0...200).contains(r.speedKmh) else { throw f.outOfRange("speed_kmh \(r.speedKmh) is outside 0...200") }
            guard catalog.sensors[r.sensorID]?.kind == .loopDetector else {
                throw f.unknown(.unknownSensor, "\(r.sensorID) is not a loop detector of this city")
            }
        case .camera(let c, _, _):
            guard (1...Self.maxIntervalSeconds).contains(c.intervalSeconds) else {
                throw f.outOfRange("interval_s \(c.intervalSeconds) must be 1 to \(Self.maxIntervalSeconds)")
            }
            guard min(c.cars, c.trucks, c.buses, c.bicycles) >= 0 else { throw f.outOfRange("a vehicle count is negative") }
            guard max(c.cars, c.trucks, c.buses, c.bicycles) <= Self.maxCount else {
                throw f.outOfRange("a vehicle count exceeds \(Self.maxCount)")
            }
            guard catalog.sensors[c.sensorID]?.kind == .camera else {
                throw f.unknown(.unknownSensor, "\(c.sensorID) is not a camera of this city")
            }
        case .gps(let p, _):
            if let problem = TextBounds.problem("vehicle_id", p.vehicleID, minLength: 1, maxLength: 200) { throw f.outOfRange(problem) }
            guard p.distanceMeters >= 0 else { throw f.outOfRange("distance_m \(p.distanceMeters) is negative") }
            guard (0...200).contains(p.speedKmh) else { throw f.outOfRange("speed_kmh \(p.speedKmh) is outside 0...200") }
            guard abs(p.delaySeconds) <= 86_400 else { throw f.outOfRange("delay_s \(p.delaySeconds) exceeds a day") }
            guard catalog.routes.contains(p.routeID) else { throw f.unknown(.unknownRoute, "route \(p.routeID) is not in this city") }
            guard catalog.segments[p.segmentID] != nil else {
                throw f.unknown(.unknownSegment, "segment \(p.segmentID) is not in this city")
            }
        case .weather(let w):
            if let problem = TextBounds.problem("station_id", w.stationID, minLength: 1, maxLength: 200) { throw f.outOfRange(problem) }
            guard (-40...60).contains(w.temperatureCelsius) else {
                throw f.outOfRange("temperature_c \(w.temperatureCelsius) is outside -40...60")
            }
            guard (0...300).contains(w.precipitationMmPerHour) else {
                throw f.outOfRange("precipitation_mm_h \(w.precipitationMmPerHour) is outside 0...300")
            }
            guard w.visibilityMeters >= 0 else { throw f.outOfRange("visibility_m \(w.visibilityMeters) is negative") }
            guard catalog.neighborhoods.contains(w.neighborhood) else {
                throw f.unknown(.unknownNeighborhood, "neighborhood \(w.neighborhood) is not in this city")
            }
        case .event(let e):
            if let problem = TextBounds.problem("event_id", e.eventID, minLength: 1, maxLength: 200)
                ?? EpochBounds.problem("starts_at", e.startsAt) ?? e.endsAt.flatMap({ EpochBounds.problem("ends_at", $0) })
            {
                throw f.outOfRange(problem)
            }
            guard e.segments.count <= 10_000 else { throw f.outOfRange("an event may list at most 10000 segments") }
            if let attendance = e.expectedAttendance, !(0...100_000_000).contains(attendance) {
                throw f.outOfRange("expected_attendance \(attendance) is outside 0...100000000")
            }
            guard catalog.neighborhoods.contains(e.neighborhood) else {
                throw f.unknown(.unknownNeighborhood, "neighborhood \(e.neighborhood) is not in this city")
            }
            if let unknown = e.segments.first(where: { catalog.segments[$0] == nil }) {
                throw f.unknown(.unknownSegment, "segment \(unknown) is not in this city")
            }
        }
    }
}
