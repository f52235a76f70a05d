import CablecarDomain

/// What a run produced: the closing summary `cablecar-sim replay` prints.
public struct SimulationSummary: Sendable, Equatable {
    public var recordsPerTopic: [Topic: Int] = [:]
    public var faultsPerKind: [FaultKind: Int] = [:]
    public var expectedRejections: [RejectReason: Int] = [:]
    public var truthRows = 0
    public var simulatedMinutes = 0
    public var simulatedDays = 0

    public init() {}

    public var totalRecords: Int { recordsPerTopic.values.reduce(0, +) }
    public var totalFaults: Int { faultsPerKind.values.reduce(0, +) }

    mutating func count(records: [FeedRecord], faults: [InjectedFault], truth: Int) {
        for record in records { recordsPerTopic[record.topic, default: 0] += 1 }
        for fault in faults {
            faultsPerKind[fault.kind, default: 0] += 1
            if let reason = fault.reason { expectedRejections[reason, default: 0] += 1 }
        }
        truthRows += truth
    }

    /// Human-readable lines, in a fixed order.
    public var lines: [String] {
        var lines = ["records per feed:"]
        for topic in Topic.rawFeeds {
            lines.append("  \(topic.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(recordsPerTopic[topic] ?? 0)")
        }
        lines.append("  total        \(totalRecords)")
        lines.append("faults injected: \(totalFaults)")
        for kind in FaultKind.allCases where (faultsPerKind[kind] ?? 0) > 0 {
            lines.append("  \(kind.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(faultsPerKind[kind] ?? 0)")
        }
        if !expectedRejections.isEmpty {
            lines.append("expected rejections by reason:")
            for reason in RejectReason.allCases where (expectedRejections[reason] ?? 0) > 0 {
                lines.append("  \(reason.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(expectedRejections[reason] ?? 0)")
            }
        }
        lines.append("ground truth: \(truthRows) segment-intervals over \(simulatedDays) day(s)")
        return lines
    }
}
