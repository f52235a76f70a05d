/// How often each fault happens. Every rate is a probability per generated record (for
/// dropouts and stuck sensors: per reading, that an episode starts). All zero by default,
/// so a plain run is clean. See docs/scenarios.md for what each fault looks like and what
/// ingest is expected to do with it.
public struct FaultConfiguration: Codable, Sendable, Equatable {
    public var dropout: Double
    public var stuck: Double
    public var duplicate: Double
    public var late: Double
    public var outOfOrder: Double
    public var malformed: Double
    public var truncated: Double
    public var unknownID: Double
    public var impossibleValue: Double
    public var schemaViolation: Double
    public var futureTimestamp: Double

    /// Readings a dropout episode silences, and a stuck episode repeats.
    public var episodeReadings: ClosedRange<Int>
    /// Delay of late records beyond their normal publication, minutes: past the window
    /// ingest has already emitted, so they come back as corrections.
    public var lateDelayMinutes: ClosedRange<Double>
    /// Delay of out-of-order records, seconds: long enough to arrive after the sensor's
    /// next reading, short enough to stay inside a few minutes of allowed lateness.
    public var outOfOrderDelaySeconds: ClosedRange<Double>
    /// How far into the future a forged event time lies, hours.
    public var futureOffsetHours: ClosedRange<Double>

    public init(
        dropout: Double = 0, stuck: Double = 0, duplicate: Double = 0, late: Double = 0, outOfOrder: Double = 0,
        malformed: Double = 0, truncated: Double = 0, unknownID: Double = 0, impossibleValue: Double = 0,
        schemaViolation: Double = 0, futureTimestamp: Double = 0, episodeReadings: ClosedRange<Int> = 5...30,
        lateDelayMinutes: ClosedRange<Double> = 10...45, outOfOrderDelaySeconds: ClosedRange<Double> = 70...170,
        futureOffsetHours: ClosedRange<Double> = 3...12
    ) {
        self.dropout = dropout
        self.stuck = stuck
        self.duplicate = duplicate
        self.late = late
        self.outOfOrder = outOfOrder
        self.malformed = malformed
        self.truncated = truncated
        self.unknownID = unknownID
        self.impossibleValue = impossibleValue
        self.schemaViolation = schemaViolation
        self.futureTimestamp = futureTimestamp
        self.episodeReadings = episodeReadings
        self.lateDelayMinutes = lateDelayMinutes
        self.outOfOrderDelaySeconds = outOfOrderDelaySeconds
        self.futureOffsetHours = futureOffsetHours
    }

    public static let none = FaultConfiguration()

    /// A realistic background: a few faults per thousand records.
    public static let light = FaultConfiguration(
        dropout: 0.0002, stuck: 0.0001, duplicate: 0.002, late: 0.001, outOfOrder: 0.002, malformed: 0.0005,
        truncated: 0.0005, unknownID: 0.0005, impossibleValue: 0.001, schemaViolation: 0.0005, futureTimestamp: 0.0002)

    /// Every kind often enough that a single simulated day exercises all of them.
    public static let heavy = FaultConfiguration(
        dropout: 0.001, stuck: 0.0005, duplicate: 0.01, late: 0.005, outOfOrder: 0.01, malformed: 0.004,
        truncated: 0.004, unknownID: 0.004, impossibleValue: 0.008, schemaViolation: 0.004, futureTimestamp: 0.002)

    public static let presets: [(name: String, configuration: FaultConfiguration)] = [
        ("none", .none), ("light", .light), ("heavy", .heavy),
    ]

    public static func preset(named name: String) -> FaultConfiguration? {
        presets.first { $0.name == name }?.configuration
    }

    /// Sets one rate by its documented name (`dropout`, `out_of_order`, ...).
    public mutating func setRate(_ kind: FaultKind, _ rate: Double) {
        switch kind {
        case .dropout: dropout = rate
        case .stuck: stuck = rate
        case .duplicate: duplicate = rate
        case .late: late = rate
        case .outOfOrder: outOfOrder = rate
        case .malformed: malformed = rate
        case .truncated: truncated = rate
        case .unknownID: unknownID = rate
        case .impossibleValue: impossibleValue = rate
        case .schemaViolation: schemaViolation = rate
        case .futureTimestamp: futureTimestamp = rate
        }
    }

    public func rate(_ kind: FaultKind) -> Double {
        switch kind {
        case .dropout: dropout
        case .stuck: stuck
        case .duplicate: duplicate
        case .late: late
        case .outOfOrder: outOfOrder
        case .malformed: malformed
        case .truncated: truncated
        case .unknownID: unknownID
        case .impossibleValue: impossibleValue
        case .schemaViolation: schemaViolation
        case .futureTimestamp: futureTimestamp
        }
    }

    public var isClean: Bool { FaultKind.allCases.allSatisfy { rate($0) == 0 } }
}
