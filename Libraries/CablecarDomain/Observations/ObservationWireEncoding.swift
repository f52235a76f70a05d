/// The `obs.*` messages write their own wire JSON (see `FastWireEncodable`): ingest emits one
/// per interval and revision, and `JSONEncoder` was the largest part of emitting them.
/// `ObservationWireEncodingTests` compares them with `WireCodec`.
extension TrafficObservation: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.int("event_time", eventTime)
        w.double("flow_veh_h", flowVehiclesPerHour)
        w.int("ingest_time", ingestTime)
        if let knownAt { w.int("known_at", knownAt) }
        w.string("neighborhood", neighborhood)
        if let occupancy { w.double("occupancy", occupancy) }
        w.int("revision", revision)
        w.int("sample_count", sampleCount)
        w.string("segment_id", segmentID)
        if let speedKmh { w.double("speed_kmh", speedKmh) }
        w.int("v", version)
    }
}

extension ContextObservation: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.int("active_incidents", activeIncidents)
        w.int("active_scheduled_events", activeScheduledEvents)
        w.int("event_time", eventTime)
        w.int("ingest_time", ingestTime)
        if let knownAt { w.int("known_at", knownAt) }
        w.string("neighborhood", neighborhood)
        if let precipitationMmPerHour { w.double("precipitation_mm_h", precipitationMmPerHour) }
        w.int("revision", revision)
        if let temperatureCelsius { w.double("temperature_c", temperatureCelsius) }
        if let transitDelaySeconds { w.double("transit_delay_s", transitDelaySeconds) }
        w.int("transit_reports", transitReports)
        w.int("v", version)
        if let visibilityMeters { w.double("visibility_m", visibilityMeters) }
    }
}

extension RejectedRecord: FastWireEncodable {
    public func appendWireJSON(to w: inout WireJSONWriter) {
        w.string("detail", detail)
        w.int("event_time", eventTime)
        if let offset { w.int("offset", offset) }
        w.string("original", original)
        if let partition { w.int("partition", partition) }
        w.string("reason", reason.rawValue)
        w.int("rejected_at", rejectedAt)
        w.string("source_topic", sourceTopic)
        w.int("v", version)
    }
}
