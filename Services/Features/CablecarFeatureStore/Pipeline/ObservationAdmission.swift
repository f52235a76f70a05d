import CablecarDomain

/// Whether an `obs.*` observation can be stored and computed with: times within `EpochBounds`,
/// counts that fit the history's int4 columns, identifiers without NUL and of sane length (Postgres
/// refuses NUL in text). A message that fails is skipped like an undecodable one (counted and
/// logged, then committed): a poison message must never stop the pipeline or crash it on restart.
enum ObservationAdmission {
    static let counts: ClosedRange<Int> = 0...Int(Int32.max)

    static func problem(_ o: TrafficObservation) -> String? {
        if let problem = times(o.eventTime, o.ingestTime) ?? knownAt(o.knownAt) { return problem }
        guard counts.contains(o.revision), counts.contains(o.sampleCount) else { return "revision or sample_count out of range" }
        guard o.flowVehiclesPerHour.isFinite else { return "flow is not a finite number" }
        return TextBounds.problem("segment_id", o.segmentID, minLength: 1, maxLength: 200)
            ?? TextBounds.problem("neighborhood", o.neighborhood, minLength: 1, maxLength: 200)
    }

    static func problem(_ o: ContextObservation) -> String? {
        if let problem = times(o.eventTime, o.ingestTime) ?? knownAt(o.knownAt) { return problem }
        guard [o.revision, o.activeScheduledEvents, o.activeIncidents, o.transitReports].allSatisfy(counts.contains) else {
            return "a count is out of range"
        }
        return TextBounds.problem("neighborhood", o.neighborhood, minLength: 1, maxLength: 200)
    }

    /// Absent, or an instant within `EpochBounds` (it is compared with event times).
    private static func knownAt(_ instant: EpochMillis?) -> String? {
        instant.flatMap { EpochBounds.problem("known_at", $0) }
    }

    /// Event times within `EpochBounds`; ingest times from 0 (unknown) to the same upper bound.
    private static func times(_ event: EpochMillis, _ ingest: EpochMillis) -> String? {
        EpochBounds.problem("event_time", event)
            ?? ((0...EpochBounds.latest).contains(ingest) ? nil : "ingest_time must be 0 to \(EpochBounds.latest), got \(ingest)")
    }
}
