import CablecarDomain

/// The day-type profiles one design row reads (see `HistoricalAverageTable`): at the target
/// time, the segment's own and the one its neighborhood shares (nil where there is none; the row
/// then holds the segment's own); and the segment's own in the middle of the windows its recent
/// level and its last hour's mean cover (nil where the table has none), which the profile-ratio
/// columns divide those by (`RidgeDesign.profileRatioColumns`); and for speed rows that read the
/// slowdown form, the segment's free-flow speed (`HistoricalAverageTable.profileMaxima`).
struct RowProfiles {
    var own: Double
    var neighborhood: Double?
    var recentWindow: Double?
    var hourWindow: Double?
    var freeFlow: Double?

    init(
        own: Double, neighborhood: Double? = nil, recentWindow: Double? = nil, hourWindow: Double? = nil,
        freeFlow: Double? = nil
    ) {
        self.freeFlow = freeFlow
        self.own = own
        self.neighborhood = neighborhood
        self.recentWindow = recentWindow
        self.hourWindow = hourWindow
    }

    /// Five-minute steps before the issue time to the interval in the middle of the recent level's
    /// window (the three intervals that start 15, 10 and 5 minutes before it).
    ///
    /// Divided by the profile at the issue time itself, the ratio compared the last 15 minutes
    /// with the interval after them, biased at every ramp by the profile's own slope. In the main
    /// job's data the candidates retrained on one more day then lost to production for flow at 15
    /// minutes in two neighborhoods by 9 % (z 5); aligned, they beat it (docs/trainer.md).
    static let recentWindowMiddleSteps = 2

    /// As `recentWindowMiddleSteps`, for the last hour's mean (twelve intervals from 60 to 5
    /// minutes before the issue time).
    static let hourWindowMiddleSteps = 6

    static var recentWindowMiddle: EpochMillis { EpochMillis(recentWindowMiddleSteps) * Interval.lengthMillis }
    static var hourWindowMiddle: EpochMillis { EpochMillis(hourWindowMiddleSteps) * Interval.lengthMillis }
}
