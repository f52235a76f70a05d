/// `train.requests`: ask the trainer to train, evaluate and (gates permitting) promote a model.
///
/// `request_id` makes a request idempotent: the trainer trains each id once, however often the
/// message is delivered or posted. `event_time` is when the request was made.
public struct TrainingRequest: SchemaVersioned, Hashable {
    public static let currentVersion = 1
    public static let topic = Topic.trainRequests

    /// Why a model is being trained.
    public enum Reason: String, Codable, Sendable, CaseIterable {
        /// An operator asked (CLI or HTTP).
        case manual
        /// A schedule asked.
        case scheduled
        /// The monitor raised an alert (drift or accuracy) — continuous training.
        case alert
        /// The main job's loop (`cablecar run`).
        case loop
    }

    public var version: Int
    public var requestID: String
    public var eventTime: EpochMillis
    /// Training data time range `[start, end)`; split chronologically into train, validation, test.
    public var start: EpochMillis
    public var end: EpochMillis
    /// Targets: "speed_kmh" and/or "flow_veh_h".
    public var targets: [String]
    /// Forecast horizons in minutes.
    public var horizons: [Int]
    /// Neighborhoods to train on; `nil` = the whole city.
    public var neighborhoods: [String]?
    public var reason: Reason
    /// Free text that goes with the reason (an alert's id and summary, an operator's note).
    public var detail: String?
    public var requestedBy: String

    public init(
        version: Int = Self.currentVersion, requestID: String, eventTime: EpochMillis, start: EpochMillis,
        end: EpochMillis, targets: [String] = ["speed_kmh", "flow_veh_h"], horizons: [Int] = [15, 30, 60],
        neighborhoods: [String]? = nil, reason: Reason, detail: String? = nil, requestedBy: String
    ) {
        self.version = version
        self.requestID = requestID
        self.eventTime = eventTime
        self.start = start
        self.end = end
        self.targets = targets
        self.horizons = horizons
        self.neighborhoods = neighborhoods
        self.reason = reason
        self.detail = detail
        self.requestedBy = requestedBy
    }

    public static let knownTargets: Set<String> = ["speed_kmh", "flow_veh_h"]
    public static let maximumRange: EpochMillis = 366 * 24 * 3600 * 1000

    /// Problems that make the request untrainable, as readable sentences (empty = valid).
    /// Every number is range-checked before any arithmetic on it, and every string is checked
    /// for length and NUL (Postgres refuses NUL in jsonb), so no field can crash or poison the
    /// trainer.
    public func problems() -> [String] {
        var problems: [String] = []
        if let problem = TextBounds.problem("request_id", requestID, minLength: 1, maxLength: 200) { problems.append(problem) }
        let times = [("start", start), ("end", end), ("event_time", eventTime)].compactMap { EpochBounds.problem($0.0, $0.1) }
        problems += times
        if times.isEmpty {
            if end <= start { problems.append("end must be after start") }
            if end - start > Self.maximumRange { problems.append("the time range may span at most 366 days") }
            if start % Interval.lengthMillis != 0 || end % Interval.lengthMillis != 0 {
                problems.append("start and end must be on five-minute boundaries")
            }
        }
        if targets.isEmpty || targets.count > Self.knownTargets.count || !targets.allSatisfy(Self.knownTargets.contains) {
            problems.append("targets must be a non-empty subset of speed_kmh, flow_veh_h")
        }
        if horizons.isEmpty || horizons.count > 288 || !horizons.allSatisfy({ $0 > 0 && $0 <= 1440 && $0 % 5 == 0 }) {
            problems.append("horizons must be 1 to 288 positive multiples of 5 minutes up to 1440")
        }
        if let neighborhoods {
            if neighborhoods.isEmpty || neighborhoods.count > 1000 {
                problems.append("neighborhoods, when given, must list 1 to 1000 names")
            }
            if let problem = neighborhoods.lazy.compactMap({ TextBounds.problem("each neighborhood", $0, minLength: 1, maxLength: 200) })
                .first
            {
                problems.append(problem)
            }
        }
        if let detail, let problem = TextBounds.problem("detail", detail, maxLength: 1000) { problems.append(problem) }
        if let problem = TextBounds.problem("requested_by", requestedBy, minLength: 1, maxLength: 200) { problems.append(problem) }
        return problems
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case requestID = "request_id"
        case eventTime = "event_time"
        case start, end, targets, horizons, neighborhoods, reason, detail
        case requestedBy = "requested_by"
    }
}
