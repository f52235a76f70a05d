import CablecarDomain

/// The alert rule with hysteresis, as a pure state machine: feed it the evidence of one window
/// after another, it returns the alert transitions to persist and publish.
///
/// Per (model, neighborhood, kind) it keeps a streak of bad and of good windows. An alert opens
/// after `openAfter` consecutive bad windows and resolves after `resolveAfter` consecutive good
/// ones. A window with too few pairs for a track counts as neither (the streaks stay).
public struct AlertEngine: Sendable, Equatable {
    public struct TrackKey: Sendable, Hashable, Comparable {
        public var modelName: String
        public var neighborhood: String
        public var kind: AlertEvidence.Kind

        public init(modelName: String, neighborhood: String, kind: AlertEvidence.Kind) {
            self.modelName = modelName
            self.neighborhood = neighborhood
            self.kind = kind
        }

        public static func < (a: TrackKey, b: TrackKey) -> Bool {
            (a.modelName, a.neighborhood, a.kind.rawValue) < (b.modelName, b.neighborhood, b.kind.rawValue)
        }
    }

    public struct Track: Sendable, Equatable {
        public var badStreak = 0
        public var goodStreak = 0
        /// The open alert (its last published form), if any.
        public var open: MonitorAlert?

        public init(badStreak: Int = 0, goodStreak: Int = 0, open: MonitorAlert? = nil) {
            self.badStreak = badStreak
            self.goodStreak = goodStreak
            self.open = open
        }
    }

    public var rule: AlertRule
    public var tracks: [TrackKey: Track]

    public init(rule: AlertRule, tracks: [TrackKey: Track] = [:]) {
        self.rule = rule
        self.tracks = tracks
    }

    /// Evaluates one window and returns the transitions it caused (opened and resolved alerts).
    public mutating func evaluate(_ window: AlertWindow, evidence: [AlertEvidence]) -> [MonitorAlert] {
        let tested = evidence.filter { $0.sampleSize >= rule.minimumSamples && $0.effect.isFinite && $0.pValue.isFinite }
        let significant = HolmCorrection.rejected(tested.map(\.pValue), alpha: rule.alpha)
        var grouped: [TrackKey: [(bad: Bool, item: AlertEvidence)]] = [:]
        for (index, item) in tested.enumerated() {
            let key = TrackKey(modelName: item.modelName, neighborhood: item.neighborhood, kind: item.kind)
            grouped[key, default: []].append((significant[index] && item.effect >= item.threshold, item))
        }
        var verdicts: [TrackKey: (bad: Bool, worst: AlertEvidence)] = [:]
        for (key, items) in grouped {
            let bad = items.contains { $0.bad }
            let candidates = bad ? items.filter(\.bad) : items
            if let worst = candidates.max(by: { $0.item.severity < $1.item.severity }) { verdicts[key] = (bad, worst.item) }
        }
        var transitions: [MonitorAlert] = []
        for key in verdicts.keys.sorted() {
            guard let verdict = verdicts[key] else { continue }
            var track = tracks[key] ?? Track()
            if verdict.bad {
                track.badStreak += 1
                track.goodStreak = 0
            } else {
                track.goodStreak += 1
                track.badStreak = 0
            }
            if track.open == nil, track.badStreak >= rule.openAfter {
                let alert = Self.alert(.open, key: key, window: window, evidence: verdict.worst, id: Self.alertID(key, window), rule: rule)
                track.open = alert
                transitions.append(alert)
            } else if let open = track.open, track.goodStreak >= rule.resolveAfter {
                var resolved = Self.alert(.resolved, key: key, window: window, evidence: verdict.worst, id: open.alertID, rule: rule)
                resolved.summary = "resolved after \(rule.resolveAfter) good windows: " + resolved.summary
                track.open = nil
                transitions.append(resolved)
            }
            tracks[key] = track
        }
        return transitions
    }

    static func alert(
        _ state: MonitorAlert.State, key: TrackKey, window: AlertWindow, evidence: AlertEvidence, id: String, rule: AlertRule
    ) -> MonitorAlert {
        let summary =
            "\(evidence.metric) in \(key.neighborhood) was \(format(evidence.effect)) against a threshold of "
            + "\(format(evidence.threshold)) over \(evidence.sampleSize) pairs (p=\(format(evidence.pValue)), "
            + "\(state == .open ? "\(rule.openAfter) consecutive bad windows" : "now within bounds"))"
        return MonitorAlert(
            alertID: id, eventTime: window.end, state: state, neighborhood: key.neighborhood, metric: evidence.metric,
            value: evidence.effect, threshold: evidence.threshold, window: window.kind, windowStart: window.start,
            windowEnd: window.end, modelName: key.modelName, modelVersion: evidence.modelVersion, summary: summary)
    }

    /// Stable across replays: the same track opening in the same window gets the same id, so a
    /// redelivered batch never opens a second alert.
    static func alertID(_ key: TrackKey, _ window: AlertWindow) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key.modelName)|\(key.neighborhood)|\(key.kind.rawValue)|\(window.kind)|\(window.start)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let scaled = (value * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
