import Foundation

/// Watches the closing half of the loop while the drift replay runs and prints each step as it
/// happens: an alert opens at the monitor, the trainer turns it into a retraining request, the
/// gates decide, a new version reaches production, the alert resolves.
struct LoopWatcher: Sendable {
    let monitorPort: Int
    let trainerPort: Int
    let started: ContinuousClock.Instant
    /// When the drift replay started, its pace (simulated seconds per second) and the neighborhood
    /// it changes: for the closed loop's timeline in simulated hours.
    var driftStarted: ContinuousClock.Instant
    var pace: Int
    var driftNeighborhood: String?
    var modelName = "traffic-forecast"

    struct Events: Sendable {
        var lines: [String] = []
        var alertsOpened = 0
        var alertsResolved = 0
        var retrainings: [String: String] = [:]
        var productionVersions: [Int] = []
        var timeline = ClosedLoopTimeline()

        var rendered: String {
            var text = "loop events:\n"
            text += lines.isEmpty ? "  (none)\n" : lines.map { "  \($0)\n" }.joined()
            text += "  alerts opened \(alertsOpened), resolved \(alertsResolved); retraining requests \(retrainings.count)"
            text += "; production versions seen: \(productionVersions.map { "v\($0)" }.joined(separator: " → "))"
            if let line = timeline.rendered { text += "\n  " + line }
            return text
        }
    }

    func run() async -> Events {
        var events = Events()
        events.timeline.neighborhood = driftNeighborhood
        var alertStates: [String: String] = [:]
        while !Task.isCancelled {
            await poll(&events, alertStates: &alertStates)
            try? await Task.sleep(for: .seconds(2))
        }
        await poll(&events, alertStates: &alertStates)
        return events
    }

    private func simulatedHours() -> Double {
        (ContinuousClock.now - driftStarted) / .seconds(1) * Double(pace) / 3600
    }

    private func note(_ events: inout Events, _ line: String) {
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let stamped = String(format: "[%6.1f s] ", seconds) + line
        print(stamped)
        events.lines.append(stamped)
    }

    private func poll(_ events: inout Events, alertStates: inout [String: String]) async {
        for alert in await alerts() {
            let id = (alert["alert_id"] ?? alert["id"]).map { "\($0)" } ?? ""
            guard !id.isEmpty else { continue }
            let state = (alert["state"] as? String) ?? "open"
            guard alertStates[id] != state else { continue }
            alertStates[id] = state
            let neighborhood = (alert["neighborhood"] as? String) ?? "city"
            let metric = (alert["metric"] as? String) ?? (alert["kind"] as? String) ?? "?"
            let value = (alert["value"] as? Double).map { String(format: "%.3g", $0) } ?? "?"
            let threshold = (alert["threshold"] as? Double).map { String(format: "%.3g", $0) } ?? "?"
            // Drift of the served features stays while the lane is closed, whatever the model:
            // recovery is judged on the accuracy alerts.
            if !metric.hasPrefix("feature."), !metric.hasPrefix("prediction.") {
                events.timeline.alert(neighborhood: neighborhood, id: id, open: state != "resolved", at: simulatedHours())
            }
            if state == "resolved" {
                events.alertsResolved += 1
                note(&events, "alert \(id) resolved: \(neighborhood) \(metric)")
            } else {
                events.alertsOpened += 1
                note(&events, "alert \(id) opened: \(neighborhood) \(metric) = \(value) (threshold \(threshold))")
            }
        }
        for id in alertStates.keys {
            let requestID = "alert-\(id)"
            guard let state = await trainingState(requestID), events.retrainings[requestID] != state else { continue }
            events.retrainings[requestID] = state
            note(&events, "retraining request \(requestID): \(state)")
        }
        if let production = await productionVersion(), events.productionVersions.last != production {
            if !events.productionVersions.isEmpty { events.timeline.promoted(at: simulatedHours()) }
            events.productionVersions.append(production)
            note(&events, "\(modelName) version \(production) is in production")
        }
    }

    private func alerts() async -> [[String: Any]] {
        guard let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(monitorPort)/api/v1/alerts"), status == 200,
            let parsed = try? JSONSerialization.jsonObject(with: body)
        else { return [] }
        if let list = parsed as? [[String: Any]] { return list }
        return ((parsed as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
    }

    private func trainingState(_ requestID: String) async -> String? {
        guard let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(trainerPort)/api/v1/train/\(requestID)"),
            status == 200, let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let state = object["state"] as? String
        else { return nil }
        if let outcome = object["outcome"] as? [String: Any], let decision = outcome["decision"] as? String {
            return "\(state): version \(outcome["model_version"].map { "\($0)" } ?? "?"), \(decision)"
        }
        return state
    }

    private func productionVersion() async -> Int? {
        guard let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(trainerPort)/api/v1/models/\(modelName)"),
            status == 200, let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let versions = object["versions"] as? [[String: Any]]
        else { return nil }
        return versions.first { ($0["stage"] as? String) == "production" }?["version"] as? Int
    }
}
