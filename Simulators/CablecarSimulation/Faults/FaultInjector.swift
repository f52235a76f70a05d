import CablecarDomain

/// Breaks records on purpose, at the configured rates, and writes down every break with
/// the outcome ingest is expected to reach. Uses its own random stream, so the traffic
/// (ground truth) is the same with or without faults.
struct FaultInjector: Sendable {
    enum SensorState { case normal, dropout, stuck }

    /// A record on its way to a topic, with the fault it carries, if any.
    struct Outgoing: Sendable {
        var record: FeedRecord
        var fault: InjectedFault?
    }

    let configuration: FaultConfiguration
    private var random: SeededRandom
    private var dropoutLeft: [Topic: [Int]] = [:]
    private var stuckLeft: [Topic: [Int]] = [:]
    private var serial = 0
    /// Faults decided before publication (dropouts), waiting to be collected.
    private(set) var unpublished: [InjectedFault] = []
    private let perRecord: [(FaultKind, Double)]
    private let perRecordTotal: Double

    init(configuration: FaultConfiguration, sensors: [Topic: Int], random: SeededRandom) {
        self.configuration = configuration
        self.random = random
        for (topic, count) in sensors {
            dropoutLeft[topic] = Array(repeating: 0, count: count)
            stuckLeft[topic] = Array(repeating: 0, count: count)
        }
        perRecord = [
            (.duplicate, configuration.duplicate), (.late, configuration.late), (.outOfOrder, configuration.outOfOrder),
            (.malformed, configuration.malformed), (.truncated, configuration.truncated), (.unknownID, configuration.unknownID),
            (.impossibleValue, configuration.impossibleValue), (.schemaViolation, configuration.schemaViolation),
            (.futureTimestamp, configuration.futureTimestamp),
        ]
        perRecordTotal = perRecord.reduce(0) { $0 + $1.1 }
    }

    /// Whether sensor `index` of a sensor feed reports normally, is silent, or repeats itself.
    mutating func sensorState(topic: Topic, index: Int, key: String, subject: String, eventTime: EpochMillis) -> SensorState {
        guard configuration.dropout > 0 || configuration.stuck > 0 else { return .normal }
        if let left = dropoutLeft[topic]?[index], left > 0 {
            dropoutLeft[topic]?[index] = left - 1
            recordDropout(topic: topic, key: key, subject: subject, eventTime: eventTime)
            return .dropout
        }
        if let left = stuckLeft[topic]?[index], left > 0 {
            stuckLeft[topic]?[index] = left - 1
            return .stuck
        }
        let length = random.integer(configuration.episodeReadings)
        if random.bernoulli(configuration.dropout) {
            dropoutLeft[topic]?[index] = length - 1
            recordDropout(topic: topic, key: key, subject: subject, eventTime: eventTime)
            return .dropout
        }
        if random.bernoulli(configuration.stuck) {
            stuckLeft[topic]?[index] = length - 1
            return .stuck
        }
        return .normal
    }

    private mutating func recordDropout(topic: Topic, key: String, subject: String, eventTime: EpochMillis) {
        unpublished.append(
            InjectedFault(
                kind: .dropout, topic: topic, key: key, subject: subject, eventTime: eventTime, publishTime: nil, sequence: nil,
                expected: .missing, reason: nil, detail: "sensor_silent"))
    }

    mutating func takeUnpublished() -> [InjectedFault] {
        defer { unpublished.removeAll(keepingCapacity: true) }
        return unpublished
    }

    /// A stuck reading: published as is, logged as accepted-but-flagged.
    func stuck(_ record: FeedRecord, subject: String) -> Outgoing {
        Outgoing(
            record: record,
            fault: InjectedFault(
                kind: .stuck, topic: record.topic, key: record.keyString, subject: subject, eventTime: record.eventTime,
                publishTime: record.publishTime, sequence: nil, expected: .acceptedFlagged, reason: nil, detail: "repeated_values"))
    }

    /// Passes `record` through at most one per-record fault and appends what gets published.
    mutating func deliver(_ record: FeedRecord, subject: String, into out: inout [Outgoing]) {
        guard perRecordTotal > 0 else {
            out.append(Outgoing(record: record, fault: nil))
            return
        }
        var draw = random.uniform()
        var chosen: FaultKind?
        for (kind, rate) in perRecord {
            if draw < rate {
                chosen = kind
                break
            }
            draw -= rate
        }
        guard let kind = chosen else {
            out.append(Outgoing(record: record, fault: nil))
            return
        }
        var faulted = record
        func entry(_ expected: ExpectedOutcome, _ reason: RejectReason?, _ detail: String) -> InjectedFault {
            InjectedFault(
                kind: kind, topic: faulted.topic, key: faulted.keyString, subject: subject, eventTime: faulted.eventTime,
                publishTime: faulted.publishTime, sequence: nil, expected: expected, reason: reason, detail: detail)
        }
        switch kind {
        case .duplicate:
            out.append(Outgoing(record: record, fault: nil))
            faulted.publishTime += EpochMillis(random.integer(0...5_000))
            out.append(Outgoing(record: faulted, fault: entry(.duplicate, nil, "exact_copy")))
        case .late:
            faulted.publishTime += EpochMillis(random.uniform(configuration.lateDelayMinutes) * 60_000)
            out.append(Outgoing(record: faulted, fault: entry(.acceptedCorrection, nil, "delayed")))
        case .outOfOrder:
            faulted.publishTime += EpochMillis(random.uniform(configuration.outOfOrderDelaySeconds) * 1_000)
            out.append(Outgoing(record: faulted, fault: entry(.accepted, nil, "reordered")))
        case .malformed:
            let variant = random.integer(0...2)
            var bytes = record.value
            let detail: String
            switch variant {
            case 0:
                bytes.removeLast()
                detail = "missing_brace"
            case 1:
                bytes = Array(bytes.map { $0 == UInt8(ascii: "\"") ? UInt8(ascii: "'") : $0 })
                detail = "single_quotes"
            default:
                // Not a trailing comma: Foundation's parsers accept `{"a":1,}`.
                bytes.insert(UInt8(ascii: "#"), at: bytes.count - 1)
                detail = "stray_character"
            }
            faulted.value = bytes
            out.append(Outgoing(record: faulted, fault: entry(.rejected, .malformedJSON, detail)))
        case .truncated:
            let keep = random.integer(1...max(1, record.value.count - 2))
            faulted.value = Array(record.value.prefix(keep))
            out.append(Outgoing(record: faulted, fault: entry(.rejected, .malformedJSON, "cut_at_\(keep)")))
        case .unknownID:
            serial += 1
            apply(FaultVariants.unknownID(record.topic, serial: serial), to: &faulted, kind: kind, subject: subject, into: &out)
        case .impossibleValue:
            let variants = FaultVariants.impossible(record.topic)
            let pick = variants.isEmpty ? nil : variants[random.integer(0...(variants.count - 1))]
            apply(pick, to: &faulted, kind: kind, subject: subject, into: &out)
        case .schemaViolation:
            let variants = FaultVariants.schema(record.topic)
            apply(variants[random.integer(0...(variants.count - 1))], to: &faulted, kind: kind, subject: subject, into: &out)
        case .futureTimestamp:
            let forged = record.publishTime + EpochMillis(random.uniform(configuration.futureOffsetHours) * 3_600_000)
            let edit = FaultVariants.Edit(
                action: .replace(field: "event_time", literal: String(forged)), reason: .futureTimestamp, detail: "event_time_ahead")
            faulted.eventTime = forged
            apply(edit, to: &faulted, kind: kind, subject: subject, into: &out)
        case .dropout, .stuck:
            out.append(Outgoing(record: record, fault: nil))
        }
    }

    /// Applies an edit; a feed without a variant for this kind publishes the record clean.
    private func apply(
        _ edit: FaultVariants.Edit?, to record: inout FeedRecord, kind: FaultKind, subject: String, into out: inout [Outgoing]
    ) {
        var edited: [UInt8]?
        if let edit {
            switch edit.action {
            case .replace(let field, let literal): edited = JSONTamper.replacing(field, with: literal, in: record.value)
            case .remove(let field): edited = JSONTamper.removing(field, in: record.value)
            }
        }
        guard let edit, let bytes = edited else {
            out.append(Outgoing(record: record, fault: nil))
            return
        }
        record.value = bytes
        out.append(
            Outgoing(
                record: record,
                fault: InjectedFault(
                    kind: kind, topic: record.topic, key: record.keyString, subject: subject, eventTime: record.eventTime,
                    publishTime: record.publishTime, sequence: nil, expected: .rejected, reason: edit.reason, detail: edit.detail)))
    }
}
