import CablecarDomain
import Foundation

/// How a `ModelInput` becomes the ridge model's feature vector, and the training-period
/// statistics that make it deterministic: missing feature values are imputed with their
/// training mean, and features that were ever missing get a 0/1 missing indicator.
///
/// Layout: snapshot features, missing indicators, last speed + missing flag, last flow + missing
/// flag, historical average at the issue time, two daily harmonics of the target time, a weekend
/// flag; in designs anchored on the last observed value (`targetAverageColumn`), the historical
/// average at the target time last. Designs anchored on that average have no such column: the
/// model predicts the deviation from it (see `RidgeForecastModel.Anchor`).
///
/// A feature present in fewer than `minimumPresence` of the fitting rows is not used: its column
/// is the constant imputation. Fitted on the few rows where it happens to exist (a week-ago
/// value in the first hours of a second week), its coefficient would be applied to every served
/// row once the feature exists everywhere; a retrained candidate once scored ten times the
/// fallback's error that way.
struct RidgeDesign: Codable, Sendable, Equatable {
    static let minimumPresence = 0.4

    var featureNames: [String]
    var imputation: PackedDoubles
    var indicatorFeatures: [Int]
    var lastSpeedMean: Double
    var lastFlowMean: Double
    /// Features left out for too little presence in the fitting period; nil in artifacts written
    /// before the rule (they use every feature).
    var unusedFeatures: [Int]?
    /// Whether the historical average at the target time is a column (the last-observed anchor);
    /// nil in artifacts written before it.
    var targetAverageColumn: Bool?
    /// Whether the day-type profile at the target time (`HistoricalAverageTable.profileMeans`)
    /// is a column; nil in artifacts written before it.
    var profileColumn: Bool?
    /// Per target (raw value), the first horizon whose rows hold the neighborhood's shared profile
    /// at the target time (`HistoricalAverageTable.neighborhoodProfileMeans`) in the column after
    /// the profile's; other rows hold 0 there, which a fit gives no weight. nil in artifacts
    /// written before the column (they have none).
    var neighborhoodProfileHorizons: [String: Int]?
    /// Per target (raw value), the feature holding its recent level (`recentLevel`); nil in
    /// artifacts written before it.
    var recentLevelFeatures: [String: Int]?
    /// Per target (raw value), the feature holding its mean over the last hour, read by the two
    /// profile-ratio columns after the neighborhood's profile (`profileRatioColumns`); a target
    /// without one holds 0 in the second. nil in artifacts written before the columns (they have
    /// none).
    var hourMeanFeatures: [String: Int]?
    /// Speed rows at horizons below this one hold the slowdown form in the profile-ratio columns
    /// (`scaledSlowdown`); nil in artifacts written before it (the ratio form everywhere).
    var speedSlowdownBelowHorizon: Int?

    enum CodingKeys: String, CodingKey {
        case featureNames = "feature_names"
        case imputation
        case indicatorFeatures = "indicator_features"
        case lastSpeedMean = "last_speed_mean"
        case lastFlowMean = "last_flow_mean"
        case unusedFeatures = "unused_features"
        case targetAverageColumn = "target_average_column"
        case profileColumn = "profile_column"
        case neighborhoodProfileHorizons = "neighborhood_profile_horizons"
        case recentLevelFeatures = "recent_level_features"
        case hourMeanFeatures = "hour_mean_features"
        case speedSlowdownBelowHorizon = "speed_slowdown_below_horizon"
    }

    static let fixedColumns = [
        "last_speed", "last_speed_missing", "last_flow", "last_flow_missing",
        "ha_issue_time", "day_sin", "day_cos", "day_sin2", "day_cos2", "weekend",
    ]

    var columnCount: Int {
        featureNames.count + indicatorFeatures.count + Self.fixedColumns.count + (targetAverageColumn == true ? 2 : 0)
            + (profileColumn == true ? 1 : 0) + (neighborhoodProfileHorizons != nil ? 1 : 0)
            + (hourMeanFeatures != nil ? Self.profileRatioColumns.count : 0)
    }

    var columnNames: [String] {
        featureNames + indicatorFeatures.map { "\(featureNames[$0])_missing" } + Self.fixedColumns
            + (targetAverageColumn == true ? Self.anchorColumns : []) + (profileColumn == true ? ["profile_target_time"] : [])
            + (neighborhoodProfileHorizons != nil ? ["neighborhood_profile_target_time"] : [])
            + (hourMeanFeatures != nil ? Self.profileRatioColumns : [])
    }

    /// The segment's profile at the target time scaled by how far the segment stands from its
    /// profile now: `(ratio - 1) × profile`, the ratio being the recent level (the last 15
    /// minutes) over the profile in the middle of those 15 minutes, and the last hour's mean over
    /// the profile in the middle of that hour (`RowProfiles`).
    ///
    /// The simulated city's demand wanders multiplicatively (a segment's slow noise of about 12 %,
    /// its neighborhood's day mood of about 5 %), so a deviation seen now carries to the target
    /// time in proportion to the profile there: at a ramp the deviation grows or shrinks with the
    /// curve, which a coefficient on the deviation in veh/h cannot follow. On the benchmark they
    /// moved flow at 15 / 30 / 60 minutes by +3.5 / +3.6 / +1.3 points of the reducible error
    /// removed on 14 days and speed by +1.7 / -0.3 / +0.8; flow gained at every horizon on 21 days
    /// and two more city seeds, and on 8 days at 15 and 30 minutes (docs/trainer.md, Benchmark).
    static let profileRatioColumns = ["recent_profile_ratio_target_time", "hour_profile_ratio_target_time"]

    /// For speed, the two columns scale the slowdown instead: `(ratio - 1) × (free flow - profile)`,
    /// the ratio being how far below free flow the segment runs now over how far its profile runs
    /// there (`scaledSlowdown`). Speed falls short of free flow by more the closer demand comes to
    /// capacity (the simulated city's moving speed is `free flow × (1 + √(1 - flow/capacity)) / 2`,
    /// as a real road's speed-flow curve bends), so a demand deviation seen now carries to the
    /// target time in proportion to the slowdown there, and not at all at night, where the speed
    /// profile is free flow itself. On the benchmark it moved speed at 15 / 30 minutes by +2.9 /
    /// +4.1 points of the reducible error removed on 14 days, and gained on 8 and 21 days and two
    /// more city seeds (+0.7 to +5.7). An hour ahead it moved by -4.5 to +3.8, about nothing on
    /// average, so speed an hour ahead keeps the ratio form (`speedSlowdownHorizonLimit`;
    /// docs/trainer.md, Benchmark).
    static let speedSlowdownHorizonLimit = 60

    /// A slowdown more than twice the profile's is no demand deviation that scales: it is a queue,
    /// a lane closure, a collision or rain, which the recent level (the anchor) carries, and the
    /// columns hold 0. Clamped to 2 instead, a candidate retrained six hours into the main job's
    /// lane closure in the Mission lost to production for speed at 30 minutes there by 10 % (z
    /// 6.5), and the loop's first retraining was refused; with 0 it passed. On the benchmark the
    /// two were within 2 points on four replays, but on one city seed 0 scored 3.4 / 1.4 points
    /// lower at 15 / 30 minutes. A ratio under 0 (faster than free flow: noise) counts as 0.
    static let maximumSlowdownRatio = 2.0

    /// A reference slowdown under this (km/h) is free flow within the sensor's noise: no ratio.
    static let minimumReferenceSlowdown = 1.0

    /// Whether rows of `target` at `horizon` hold the slowdown form in the profile-ratio columns.
    func readsSlowdown(_ target: ForecastTarget, horizon: Int) -> Bool {
        guard target == .speed, let limit = speedSlowdownBelowHorizon else { return false }
        return horizon < limit
    }

    /// Ratios are clamped: at night a segment's profile can be a few vehicles an hour, and one
    /// noisy reading over it is not a deviation that scales.
    static let profileRatioBounds = 0.3...2.0

    /// Feature names the last hour's mean is read from, per target.
    static let hourMeanNames: [ForecastTarget: String] = [.speed: "speed_mean_60m", .flow: "flow_mean_60m"]

    /// The two anchors' values (see `RidgeForecastModel.Anchor`): a fit can swap one for the other
    /// without another pass over its rows (`RidgeProblem.shiftingTarget`).
    static let anchorColumns = ["ha_target_time", "recent_level"]

    /// Columns of the historical average at the target time and of the recent level; nil in designs
    /// without them.
    var anchorColumnIndices: (average: Int, recent: Int)? {
        guard targetAverageColumn == true else { return nil }
        let first = featureNames.count + indicatorFeatures.count + Self.fixedColumns.count
        return (first, first + 1)
    }

    /// The column of the day-type profile at the target time; nil in designs without it.
    var profileColumnIndex: Int? {
        guard profileColumn == true, let anchors = anchorColumnIndices else { return nil }
        return anchors.recent + 1
    }

    init(data: TrainingData, period: Range<EpochMillis>, targetAverageColumn: Bool) {
        self.targetAverageColumn = targetAverageColumn
        profileColumn = targetAverageColumn
        neighborhoodProfileHorizons =
            targetAverageColumn
            ? Dictionary(uniqueKeysWithValues: Self.neighborhoodProfileMinimumHorizons.map { ($0.key.rawValue, $0.value) }) : nil
        var recent: [String: Int] = [:]
        for (target, names) in Self.recentLevelNames {
            if let index = names.lazy.compactMap({ data.featureNames.firstIndex(of: $0) }).first { recent[target.rawValue] = index }
        }
        recentLevelFeatures = recent
        hourMeanFeatures =
            targetAverageColumn
            ? Self.hourMeanNames.reduce(into: [:]) { result, entry in
                result[entry.key.rawValue] = data.featureNames.firstIndex(of: entry.value)
            } : nil
        speedSlowdownBelowHorizon = targetAverageColumn ? Self.speedSlowdownHorizonLimit : nil
        featureNames = data.featureNames
        let p = data.featureNames.count
        var sums = Array(repeating: 0.0, count: p)
        var counts = Array(repeating: 0, count: p)
        var missing = Array(repeating: false, count: p)
        var speedSum = 0.0
        var speedCount = 0
        var flowSum = 0.0
        var flowCount = 0
        var rows = 0
        for index in data.rows.indices where period.contains(data.rows[index].timestamp) {
            rows += 1
            let values = data.rows[index].values
            for j in 0..<p {
                if let value = values[j], value.isFinite {
                    sums[j] += value
                    counts[j] += 1
                } else {
                    missing[j] = true
                }
            }
            if let speed = data.lastSpeed[index], speed.isFinite {
                speedSum += speed
                speedCount += 1
            }
            if let flow = data.lastFlow[index], flow.isFinite {
                flowSum += flow
                flowCount += 1
            }
        }
        imputation = PackedDoubles(zip(sums, counts).map { sum, count in count > 0 ? sum / Double(count) : 0 })
        let unused = (0..<p).filter { Double(counts[$0]) < Self.minimumPresence * Double(rows) }
        unusedFeatures = unused
        indicatorFeatures = (0..<p).filter { missing[$0] && counts[$0] > 0 && !unused.contains($0) }
        lastSpeedMean = speedCount > 0 ? speedSum / Double(speedCount) : 0
        lastFlowMean = flowCount > 0 ? flowSum / Double(flowCount) : 0
    }

    /// The first horizon whose rows read the neighborhood's shared profile, per target.
    ///
    /// Flow reads it at every horizon: the simulated city's demand is a segment's peak times its
    /// neighborhood's daily curve, and pooled over a neighborhood's segments that curve is far
    /// less noisy than a segment's own one or two weekend days. On the benchmark it moved flow at
    /// 15 / 30 / 60 minutes by +2.0 / +3.5 / +4.7 points of the reducible error removed on 14
    /// days, +0.0 / +1.0 / +5.5 on 8 and +2.3 / +3.4 / +4.5 on 21. Speed is not proportional to
    /// demand: at 60 minutes it gained +0.4 / +1.8 / +2.3, at 15 minutes it lost 2.4 points on 14
    /// days, so speed reads it an hour ahead only (like `RidgeTrainer.profileAnchorMinimumHorizon`).
    static let neighborhoodProfileMinimumHorizons: [ForecastTarget: Int] = [.flow: 0, .speed: 60]

    /// Whether rows of `target` at `horizon` hold the neighborhood's profile in its column.
    func readsNeighborhoodProfile(_ target: ForecastTarget, horizon: Int) -> Bool {
        guard let first = neighborhoodProfileHorizons?[target.rawValue] else { return false }
        return horizon >= first
    }

    /// Checks what `fill` indexes, so a damaged artifact is refused on load.
    func validate() throws {
        guard imputation.values.count == featureNames.count else {
            throw ForecastingError.invalidArtifact(
                "the design imputes \(imputation.values.count) values for \(featureNames.count) features")
        }
        guard indicatorFeatures.allSatisfy({ featureNames.indices.contains($0) }) else {
            throw ForecastingError.invalidArtifact("the design names a missing-value indicator for a feature it does not have")
        }
        guard (recentLevelFeatures ?? [:]).values.allSatisfy({ featureNames.indices.contains($0) }) else {
            throw ForecastingError.invalidArtifact("the design reads a recent level from a feature it does not have")
        }
        guard (hourMeanFeatures ?? [:]).values.allSatisfy({ featureNames.indices.contains($0) }) else {
            throw ForecastingError.invalidArtifact("the design reads an hour's mean from a feature it does not have")
        }
        guard (speedSlowdownBelowHorizon ?? 0) >= 0 else {
            throw ForecastingError.invalidArtifact("the design's speed slowdown horizon is negative")
        }
        guard (unusedFeatures ?? []).allSatisfy({ featureNames.indices.contains($0) }) else {
            throw ForecastingError.invalidArtifact("the design leaves out a feature it does not have")
        }
    }

    /// The level a forecast of `target` is anchored on (`RidgeForecastModel.Anchor.lastObserved`):
    /// the target's 15-minute mean where the design has it, which carries a third of the
    /// measurement noise of the last value alone (flow's last value is off by 60 veh/h), else the
    /// last observed value.
    func recentLevel(_ input: ModelInput, _ target: ForecastTarget) -> Double? {
        Self.feature(recentLevelFeatures?[target.rawValue], of: input) ?? input.lastObserved(target).flatMap { $0.isFinite ? $0 : nil }
    }

    /// The finite value of feature `index` in `input`, if any.
    private static func feature(_ index: Int?, of input: ModelInput) -> Double? {
        guard let index, index < input.features.count, let value = input.features[index], value.isFinite else { return nil }
        return value
    }

    /// Feature names the recent level is read from, per target; the first one present wins.
    static let recentLevelNames: [ForecastTarget: [String]] = [
        .speed: ["speed_mean_15m"], .flow: ["flow_mean_15m"],
    ]

    /// Writes the row for `input` into `out[0..<columnCount]`.
    /// The time-of-day and weekend terms follow `clock` (the historical average's).
    func fill(
        _ out: UnsafeMutablePointer<Double>, input: ModelInput, horizonMinutes: Int, haIssue: Double, haTarget: Double,
        recent: Double, target: ForecastTarget, profiles: RowProfiles, clock: LocalClock
    ) {
        var column = 0
        let imputed = imputation.values
        let unused = unusedFeatures ?? []
        for j in 0..<featureNames.count {
            if unused.contains(j) {
                out[column] = imputed[j]
            } else if j < input.features.count, let value = input.features[j], value.isFinite {
                out[column] = value
            } else {
                out[column] = imputed[j]
            }
            column += 1
        }
        for j in indicatorFeatures {
            let present = j < input.features.count && (input.features[j].map { $0.isFinite } ?? false)
            out[column] = present ? 0 : 1
            column += 1
        }
        if let speed = input.lastSpeedKmh, speed.isFinite {
            out[column] = speed
            out[column + 1] = 0
        } else {
            out[column] = lastSpeedMean
            out[column + 1] = 1
        }
        if let flow = input.lastFlowVehiclesPerHour, flow.isFinite {
            out[column + 2] = flow
            out[column + 3] = 0
        } else {
            out[column + 2] = lastFlowMean
            out[column + 3] = 1
        }
        column += 4
        out[column] = haIssue
        let targetTime = clock.local(input.issueTime + EpochMillis(horizonMinutes) * 60_000)
        let day: EpochMillis = 86_400_000
        let phase = 2 * Double.pi * Double(((targetTime % day) + day) % day) / Double(day)
        out[column + 1] = sin(phase)
        out[column + 2] = cos(phase)
        out[column + 3] = sin(2 * phase)
        out[column + 4] = cos(2 * phase)
        out[column + 5] = Interval.slotOfWeek(targetTime) >= 5 * 288 ? 1 : 0
        column += 6
        if targetAverageColumn == true {
            out[column] = haTarget
            out[column + 1] = recent
            column += 2
        }
        if profileColumn == true {
            out[column] = profiles.own
            column += 1
        }
        if neighborhoodProfileHorizons != nil {
            out[column] = readsNeighborhoodProfile(target, horizon: horizonMinutes) ? profiles.neighborhood ?? profiles.own : 0
            column += 1
        }
        if let hourMeanFeatures {
            let recent = recentLevel(input, target)
            let hourMean = Self.feature(hourMeanFeatures[target.rawValue], of: input)
            if readsSlowdown(target, horizon: horizonMinutes) {
                out[column] = Self.scaledSlowdown(recent, from: profiles.recentWindow, to: profiles.own, freeFlow: profiles.freeFlow)
                out[column + 1] = Self.scaledSlowdown(
                    hourMean, from: profiles.hourWindow, to: profiles.own, freeFlow: profiles.freeFlow)
            } else {
                out[column] = Self.scaledDeviation(recent, from: profiles.recentWindow, to: profiles.own)
                out[column + 1] = Self.scaledDeviation(hourMean, from: profiles.hourWindow, to: profiles.own)
            }
        }
    }

    /// `(ratio - 1) × (freeFlow - profile)`, the ratio `(freeFlow - value) / (freeFlow - reference)`
    /// at least 0; 0 (no deviation) beyond `maximumSlowdownRatio`, and without a value, a free-flow
    /// speed or a reference slowdown of at least `minimumReferenceSlowdown`.
    static func scaledSlowdown(_ value: Double?, from reference: Double?, to profile: Double, freeFlow: Double?) -> Double {
        guard let value, let reference, let freeFlow, value.isFinite, reference.isFinite, freeFlow.isFinite,
            freeFlow - reference >= minimumReferenceSlowdown
        else { return 0 }
        let ratio = (freeFlow - value) / (freeFlow - reference)
        guard ratio <= maximumSlowdownRatio else { return 0 }
        return (max(0, ratio) - 1) * max(0, freeFlow - profile)
    }

    /// `(value / reference - 1) × profile` with the ratio clamped to `profileRatioBounds`; 0 (no
    /// deviation) without a value or a positive reference.
    static func scaledDeviation(_ value: Double?, from reference: Double?, to profile: Double) -> Double {
        guard let value, let reference, reference > 0, reference.isFinite else { return 0 }
        let ratio = min(profileRatioBounds.upperBound, max(profileRatioBounds.lowerBound, value / reference))
        return (ratio - 1) * profile
    }
}
