import CablecarDomain
import CablecarService
import Crypto
import Foundation

/// Turns a `monitor.alerts` message into a retraining request (continuous training).
///
/// Read leniently: the alert's id (`alert_id` or `id`), `event_time`, `neighborhood` and a kind
/// or summary if present. Alerts of `MonitorAlert`'s schema carry a `state`: only `open` retrains
/// (a `resolved` transition returns nil); older alerts without a state are read as open. The request id is derived from the alert id (or, lacking one, from the
/// message bytes), so a redelivered alert is trained once. The new model trains on the whole
/// city over the window before the alert: the gates, equity gate included, then judge it
/// neighborhood by neighborhood.
public struct AlertTranslator: Sendable {
    public var windowDays: Int

    public init(windowDays: Int) { self.windowDays = windowDays }

    struct Alert: Decodable {
        var alertID: String?
        var id: String?
        var eventTime: EpochMillis?
        var neighborhood: String?
        var kind: String?
        var type: String?
        var summary: String?
        var message: String?
        var state: String?
        var metric: String?

        enum CodingKeys: String, CodingKey {
            case alertID = "alert_id"
            case id
            case eventTime = "event_time"
            case neighborhood, kind, type, summary, message, state, metric
        }
    }

    public enum AlertError: Error, CustomStringConvertible {
        case unreadable(String)
        public var description: String {
            switch self {
            case .unreadable(let why): return "monitor alert cannot be read: \(why)"
            }
        }
    }

    /// The retraining request for an opened alert, or nil for any other state (a resolved alert
    /// asks for nothing).
    public func request(fromAlert bytes: [UInt8], receivedAt now: EpochMillis) throws -> TrainingRequest? {
        let alert: Alert
        do {
            alert = try JSONDecoder().decode(Alert.self, from: Data(bytes))
        } catch {
            throw AlertError.unreadable(DecodingProblem.describe(error))
        }
        if let state = alert.state, state != MonitorAlert.State.open.rawValue { return nil }
        let identity =
            alert.alertID ?? alert.id
            ?? SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined()
        let eventTime = alert.eventTime ?? now
        // Checked before the arithmetic below (and the window is bounded by its configuration).
        if let problem = EpochBounds.problem("event_time", eventTime) { throw AlertError.unreadable(problem) }
        guard (1...366).contains(windowDays) else { throw AlertError.unreadable("the alert window must be 1 to 366 days") }
        let at = Interval.start(containing: eventTime)
        let start = at - EpochMillis(windowDays) * 86_400_000
        var detail = "alert \(identity)"
        if let kind = alert.kind ?? alert.type ?? alert.metric { detail += " (\(kind))" }
        if let neighborhood = alert.neighborhood { detail += " in \(neighborhood)" }
        if let summary = alert.summary ?? alert.message { detail += ": \(summary)" }
        return TrainingRequest(
            requestID: "alert-\(identity)", eventTime: eventTime, start: start, end: at, reason: .alert,
            detail: String(detail.prefix(1000)), requestedBy: "cablecar-monitor")
    }
}
