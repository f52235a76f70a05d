import CablecarDomain

/// Counts of one batch's outcomes, for metrics and logs.
public struct BatchOutcome: Sendable, Equatable {
    public var received = 0
    public var accepted = 0
    public var duplicates = 0
    public var rejected: [RejectReason: Int] = [:]
    /// Messages seen before (redelivered after a restart): not counted again.
    public var redelivered = 0
    public var trafficEmitted = 0
    public var contextEmitted = 0
    /// Accepted / rejected / duplicate per feed of this batch.
    public var byFeed: [Feed: (accepted: Int, rejected: Int, duplicate: Int)] = [:]

    public static func == (lhs: BatchOutcome, rhs: BatchOutcome) -> Bool {
        lhs.received == rhs.received && lhs.accepted == rhs.accepted && lhs.duplicates == rhs.duplicates && lhs.rejected == rhs.rejected
    }
}
