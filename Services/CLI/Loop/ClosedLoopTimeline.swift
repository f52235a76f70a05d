/// The closed loop in the drifted neighborhood, in simulated hours after the drift's onset: its
/// first accuracy alert, the first version promoted after it, and the moment its last open
/// accuracy alert resolved (accuracy back within the alert rules), if it did.
struct ClosedLoopTimeline: Sendable, Equatable {
    var neighborhood: String?
    private(set) var firstAlert: Double?
    private(set) var firstPromotion: Double?
    private(set) var recovered: Double?
    private var open: Set<String> = []

    mutating func alert(neighborhood: String, id: String, open isOpen: Bool, at hours: Double) {
        guard neighborhood == self.neighborhood else { return }
        if isOpen {
            open.insert(id)
            if firstAlert == nil { firstAlert = hours }
            recovered = nil
        } else {
            open.remove(id)
            if open.isEmpty, firstAlert != nil, firstPromotion != nil { recovered = hours }
        }
    }

    mutating func promoted(at hours: Double) {
        if firstAlert != nil, firstPromotion == nil { firstPromotion = hours }
    }

    var rendered: String? {
        guard let neighborhood else { return nil }
        func hours(_ value: Double?) -> String { value.map { String(format: "%.1f h", $0) } ?? "not reached" }
        guard firstAlert != nil else {
            return "closed loop in \(neighborhood): no accuracy alert there (simulated hours after the drift onset)"
        }
        return "closed loop in \(neighborhood), simulated hours after the drift onset: first accuracy alert \(hours(firstAlert)), "
            + "new version in production \(hours(firstPromotion)), accuracy recovered (its alerts resolved) \(hours(recovered))"
    }
}
