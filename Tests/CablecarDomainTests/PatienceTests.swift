import CablecarDomain
import Testing

@Suite("Patience and duration units")
struct PatienceTests {
    struct Away: Error {}
    struct Refused: Error {}

    @Test("a transient failure is tried again after the back-off, and the call's value returned")
    func retriesTransientFailures() async throws {
        // An hour of patience: a starved test pool must not run it out (only the delays are measured).
        let patience = Patience(.seconds(3600), firstDelay: .milliseconds(1), longestDelay: .milliseconds(4))
        var calls = 0
        var delays: [Duration] = []
        let value = try await patience.run(
            {
                calls += 1
                if calls < 5 { throw Away() }
                return calls
            }, isTransient: { $0 is Away }, willRetry: { _, delay in delays.append(delay) })
        #expect(value == 5)
        #expect(delays == [.milliseconds(1), .milliseconds(2), .milliseconds(4), .milliseconds(4)])
    }

    @Test("an error that is not transient is the caller's at once")
    func permanentFailureIsThrown() async {
        var calls = 0
        await #expect(throws: Refused.self) {
            try await Patience(.seconds(60), firstDelay: .milliseconds(1)).run(
                { () async throws -> Void in
                    calls += 1
                    throw Refused()
                }, isTransient: { $0 is Away }, willRetry: { _, _ in })
        }
        #expect(calls == 1)
    }

    @Test("once patience runs out the last transient failure is thrown")
    func patienceRunsOut() async {
        var calls = 0
        await #expect(throws: Away.self) {
            try await Patience(.milliseconds(50), firstDelay: .milliseconds(10), longestDelay: .milliseconds(10)).run(
                { () async throws -> Void in
                    calls += 1
                    throw Away()
                }, isTransient: { $0 is Away }, willRetry: { _, _ in })
        }
        // No try starts once the next delay would end past the limit.
        #expect(calls >= 1 && calls <= 5)
    }

    @Test("durations convert to whole units, rounded toward zero, saturating at the ends of Int64")
    func durationUnits() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.microseconds(2_999).inMilliseconds == 2)
        #expect(Duration.seconds(3).inMicroseconds == 3_000_000)
        #expect(Duration.nanoseconds(-7).inNanoseconds == -7)
        #expect(Duration.seconds(Int64.max).inNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).inMilliseconds == .min)
    }
}
