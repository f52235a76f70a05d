import CablecarDomain
import Foundation
import Synchronization

/// The issue time of a forecast. On the wall clock: now, floored to the five-minute step. On the
/// feature clock (replays, whose simulated time runs ahead of the wall clock): the newest feature
/// step the feature store has served so far, which never goes back.
public final class ServingClock: Sendable {
    public let mode: ForecastConfiguration.Clock
    private let now: @Sendable () -> EpochMillis
    private let newestStep = Mutex<EpochMillis?>(nil)

    public init(mode: ForecastConfiguration.Clock, now: @escaping @Sendable () -> EpochMillis = ServingClock.wallMillis) {
        self.mode = mode
        self.now = now
    }

    public static let wallMillis: @Sendable () -> EpochMillis = { EpochMillis((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public static func floorToStep(_ time: EpochMillis) -> EpochMillis {
        let step = Interval.lengthMillis
        return time - ((time % step) + step) % step
    }

    /// Times from outside (feature steps) are used only between 1970 and 2200, so that
    /// arithmetic on them can never overflow.
    static func plausible(_ time: EpochMillis) -> Bool { (0...7_258_118_400_000).contains(time) }

    func issueTime(newestFeatureStep: EpochMillis?) -> EpochMillis {
        switch mode {
        case .wall:
            return Self.floorToStep(now())
        case .features:
            return newestStep.withLock { newestStep in
                if let step = newestFeatureStep, Self.plausible(step), step > (newestStep ?? .min) { newestStep = step }
                return newestStep ?? Self.floorToStep(now())
            }
        }
    }
}
