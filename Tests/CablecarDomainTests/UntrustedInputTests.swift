import CablecarDomain
import Testing

/// Numbers and text from outside reach the domain's arithmetic only after these checks; the
/// helpers themselves never trap, whatever Int64 they are given.
@Suite("Untrusted numbers and text")
struct UntrustedInputTests {
    static let extremes: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max, EpochBounds.earliest - 1, EpochBounds.latest + 1]

    @Test func intervalHelpersNeverTrap() {
        for time in Self.extremes {
            let start = Interval.start(containing: time)
            // Below the lowest representable interval start the floor is clamped (not trapped).
            #expect(start <= time || time < Int64.min + Interval.lengthMillis)
            #expect(start % Interval.lengthMillis == 0)
            #expect((0..<2016).contains(Interval.slotOfWeek(time)))
        }
        #expect(Interval.start(containing: -1) == -Interval.lengthMillis)
        #expect(Interval.slotOfWeek(1_704_067_200_000) == 0, "2024-01-01 was a Monday")
    }

    @Test func epochBoundsAcceptTheCenturyAndNothingElse() {
        #expect(EpochBounds.contains(1_704_067_200_000))
        #expect(EpochBounds.contains(EpochBounds.earliest) && EpochBounds.contains(EpochBounds.latest))
        for time in [Int64.min, -1, 0, EpochBounds.earliest - 1, EpochBounds.latest + 1, Int64.max] {
            #expect(EpochBounds.problem("t", time)?.contains("t must be") == true)
        }
        // Differences and sums of accepted times (plus a year of days) cannot overflow.
        let span = EpochBounds.latest - EpochBounds.earliest
        #expect(!span.addingReportingOverflow(EpochBounds.latest + 366 * 86_400_000).overflow)
    }

    @Test func trainingRequestsWithExtremeNumbersAreInvalidNotACrash() {
        func request(start: Int64, end: Int64, eventTime: Int64 = 1_704_067_200_000, horizons: [Int] = [15]) -> TrainingRequest {
            TrainingRequest(
                requestID: "r", eventTime: eventTime, start: start, end: end, horizons: horizons, reason: .manual, requestedBy: "t")
        }
        for start in Self.extremes {
            for end in Self.extremes {
                let problems = request(start: start, end: end).problems()
                #expect(!problems.isEmpty, "\(start) ..< \(end)")
            }
        }
        #expect(
            request(start: 1_704_067_200_000, end: 1_704_672_000_000, eventTime: .max).problems().contains { $0.hasPrefix("event_time") })
        #expect(!request(start: 1_704_067_200_000, end: 1_704_672_000_000, horizons: [.max]).problems().isEmpty)
        #expect(!request(start: 1_704_067_200_000, end: 1_704_672_000_000, horizons: [.min]).problems().isEmpty)
        #expect(
            !request(start: 1_704_067_200_000, end: 1_704_672_000_000, horizons: Array(repeating: 15, count: 10_000)).problems().isEmpty)
        #expect(request(start: 1_704_067_200_000, end: 1_704_672_000_000).problems().isEmpty)
    }

    @Test func trainingRequestTextIsCheckedForNULAndLength() {
        var request = TrainingRequest(
            requestID: "r", eventTime: 1_704_067_200_000, start: 1_704_067_200_000, end: 1_704_672_000_000, reason: .manual,
            requestedBy: "t")
        #expect(request.problems().isEmpty)
        request.detail = "a\u{0}b"
        #expect(request.problems().contains { $0.contains("NUL") })
        request.detail = String(repeating: "d", count: 1001)
        #expect(request.problems().contains { $0.hasPrefix("detail") })
        request.detail = nil
        request.neighborhoods = ["ok", "bad\u{0}"]
        #expect(request.problems().contains { $0.contains("NUL") })
        request.neighborhoods = nil
        request.requestID = String(repeating: "x", count: 201)
        #expect(request.problems().contains { $0.hasPrefix("request_id") })
        request.requestID = "é\u{0}"
        #expect(request.problems().contains { $0.hasPrefix("request_id") })
    }

    @Test func textBoundsCountCharactersAndRefuseNUL() {
        #expect(TextBounds.problem("f", "ok", maxLength: 2) == nil)
        #expect(TextBounds.problem("f", "éé", maxLength: 2) == nil, "characters, not bytes")
        #expect(TextBounds.problem("f", "abc", maxLength: 2) != nil)
        #expect(TextBounds.problem("f", "", minLength: 1, maxLength: 2) != nil)
        #expect(TextBounds.problem("f", "\u{0}", maxLength: 2)?.contains("NUL") == true)
        #expect(TextBounds.problem("f", String(repeating: "x", count: 1_000_000), maxLength: 10) != nil)
    }
}
