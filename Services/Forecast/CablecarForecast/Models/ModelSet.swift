import CablecarDomain

/// Everything a request needs to know about models, as one immutable value: the production
/// version, the candidate and how it is rolled out. A request takes one `ModelSet` at its start
/// and uses only it, so a swap in the middle never mixes versions within a response.
public struct ModelSet: Sendable {
    public private(set) var production: LoadedModel?
    public private(set) var candidate: LoadedModel?
    public private(set) var rollout: Rollout
    /// Increases with every change; responses carry it so tests can tell snapshots apart.
    public private(set) var generation: Int
    /// Why there is no production model (shown by readiness and 503 answers); nil once one is loaded.
    public private(set) var unavailableReason: String?

    public init(
        production: LoadedModel? = nil, candidate: LoadedModel? = nil, rollout: Rollout = .off,
        unavailableReason: String? = "no model loaded yet"
    ) {
        self.production = production
        self.candidate = candidate
        self.rollout = candidate == nil ? .off : rollout
        self.generation = 0
        self.unavailableReason = production == nil ? unavailableReason : nil
    }

    /// Which model answers a segment, and which one shadows it.
    public struct Route: Sendable {
        public var primary: LoadedModel
        public var role: Forecast.Role
        public var shadow: LoadedModel?
    }

    /// nil without a production model.
    public func route(_ segmentID: String) -> Route? {
        guard let production else { return nil }
        guard let candidate, candidate.version != production.version else {
            return Route(primary: production, role: .production, shadow: nil)
        }
        switch rollout.mode {
        case .off: return Route(primary: production, role: .production, shadow: nil)
        case .shadow: return Route(primary: production, role: .production, shadow: candidate)
        case .canary:
            return rollout.isCanary(segmentID)
                ? Route(primary: candidate, role: .canary, shadow: nil)
                : Route(primary: production, role: .production, shadow: nil)
        }
    }

    /// The loaded version with this number (production or candidate), for pinned requests.
    public func loaded(version: Int) -> LoadedModel? {
        if production?.version == version { return production }
        if candidate?.version == version { return candidate }
        return nil
    }

    /// What installing `model` as production changes.
    public enum Change: Equatable, Sendable {
        case installed(previous: Int?)
        case unchanged
    }

    /// Installs a new production version. A candidate that became production stops being a
    /// candidate (its rollout ends).
    @discardableResult
    public mutating func installProduction(_ model: LoadedModel) -> Change {
        if production?.version == model.version, production?.sha256 == model.sha256 { return .unchanged }
        let previous = production?.version
        production = model
        unavailableReason = nil
        if candidate?.version == model.version {
            candidate = nil
            rollout = .off
        }
        generation += 1
        return .installed(previous: previous)
    }

    /// The registry has no production version (any more): keep serving what is loaded, but say so.
    public mutating func noteUnavailable(_ reason: String) {
        guard production == nil else { return }
        unavailableReason = reason
        generation += 1
    }

    /// Starts serving `candidate` as canary or shadow (or ends a rollout with `.off`).
    public mutating func setRollout(_ rollout: Rollout, candidate: LoadedModel?) {
        if rollout.mode == .off || candidate == nil {
            self.candidate = nil
            self.rollout = .off
        } else {
            self.candidate = candidate
            self.rollout = rollout
        }
        generation += 1
    }
}
