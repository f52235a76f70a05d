import CablecarDomain
import Testing

@testable import CablecarTrainer

@Suite struct AlertTranslatorTests {
    let translator = AlertTranslator(windowDays: 14)
    static let alert = MonitorAlert(
        alertID: "0123456789abcdef", eventTime: 1_767_600_000_000, state: .open, neighborhood: "Beta",
        metric: "speed_kmh.h15.mae_vs_baseline",
        value: 3.2, threshold: 1.1, window: "hour", windowStart: 1_767_596_400_000, windowEnd: 1_767_600_000_000, modelName: "traffic",
        modelVersion: 3, summary: "worse than the fallback")

    @Test func openMonitorAlertRequestsRetraining() throws {
        let request = try #require(try translator.request(fromAlert: try WireCodec.encode(Self.alert), receivedAt: 0))
        #expect(request.requestID == "alert-0123456789abcdef")
        #expect(request.reason == .alert)
        #expect(request.detail?.contains("Beta") == true)
        #expect(request.end == Interval.start(containing: Self.alert.eventTime))
    }

    @Test func resolvedMonitorAlertRequestsNothing() throws {
        var resolved = Self.alert
        resolved.state = .resolved
        #expect(try translator.request(fromAlert: try WireCodec.encode(resolved), receivedAt: 0) == nil)
    }

    @Test func olderAlertsWithoutStateStillRetrain() throws {
        let old = Array(#"{"id":"A-17","event_time":1767600000000,"neighborhood":"Beta","kind":"drift"}"#.utf8)
        let request = try #require(try translator.request(fromAlert: old, receivedAt: 0))
        #expect(request.requestID == "alert-A-17")
        #expect(request.detail?.contains("drift") == true)
    }
}

@Suite struct UnreadableAlertTests {
    let translator = AlertTranslator(windowDays: 14)

    func reason(_ text: String) -> String {
        do {
            _ = try translator.request(fromAlert: Array(text.utf8), receivedAt: 0)
            return "read"
        } catch {
            return "\(error)"
        }
    }

    @Test func anUnreadableAlertSaysWhichFieldWasWrong() {
        #expect(reason(#"{"id":"A-1","event_time":"soon"}"#) == "monitor alert cannot be read: event_time must be Int64")
        #expect(reason("{not json") == "monitor alert cannot be read: not valid JSON")
    }
}
