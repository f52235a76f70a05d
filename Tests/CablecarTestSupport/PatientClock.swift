/// Waiting time as a test experiences it, not as the wall clock counts it.
///
/// The whole suite runs in one process whose concurrency pool has as many threads as the machine
/// has cores (two on CI), shared with CPU-heavy tests, a broker and Postgres. A waiting test can
/// be starved for minutes, and so can the work it waits for; a wall-clock deadline then expires
/// the moment the test runs again, although nothing is wrong. Here each pause is charged what it
/// was asked for plus at most `slack`, so a busy machine makes a test slower, never red, while a
/// real hang still fails: the pauses keep coming and their charges add up.
public struct PatientClock: Sendable {
    public private(set) var charged: Duration = .zero
    public let slack: Duration

    public init(slack: Duration = .milliseconds(500)) {
        self.slack = slack
    }

    /// Sleeps `interval` and charges it (plus the oversleep, at most `slack`).
    public mutating func pause(_ interval: Duration) async throws {
        let before = ContinuousClock.now
        try await Task.sleep(for: interval)
        charged += min(ContinuousClock.now - before, interval + slack)
    }
}

/// Polls `condition` every `interval` until it holds, or fails with `failure()` once `timeout` of
/// patient time (see `PatientClock`) has been charged.
public func eventually(
    timeout: Duration, every interval: Duration = .milliseconds(100), _ failure: @autoclosure () -> String,
    _ condition: () async throws -> Bool
) async throws {
    var clock = PatientClock()
    while !(try await condition()) {
        guard clock.charged < timeout else { throw TestFailure(failure()) }
        try await clock.pause(interval)
    }
}

/// Watches `isReady` through an outage: true once it answered false, after watching at least
/// `minimum` (so the outage lasts that long); false when it never did within `window` (both
/// patient time).
public func readinessWentDown(
    within window: Duration = .seconds(25), watchingAtLeast minimum: Duration = .seconds(8), _ isReady: () async -> Bool
) async throws -> Bool {
    var sawNotReady = false
    var clock = PatientClock()
    while clock.charged < window {
        if !(await isReady()) { sawNotReady = true }
        if sawNotReady && clock.charged > minimum { break }
        try await clock.pause(.milliseconds(200))
    }
    return sawNotReady
}
