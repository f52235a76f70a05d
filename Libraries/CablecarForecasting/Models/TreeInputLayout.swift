/// What `DeviationTrees` read beyond the ridge's design row and the neighborhood's index: the
/// design's level forecasts (historical averages, day-type profiles, the profile-ratio columns,
/// the target's last value, yesterday's and last week's values and the last hour's mean), each
/// also as its difference from the recent level.
///
/// The trees forecast the deviation from the recent level. From the levels alone a split can only
/// say "the profile is above 600 veh/h", not "the profile is 80 veh/h above where the segment runs
/// now", which a deviation needs; a tree approximates a difference of two columns with many
/// small steps. With the differences beside the levels, LightGBM on the 14-day benchmark's design
/// rows removed 1.7 to 4.4 more points of the reducible error (most an hour ahead), and the
/// trainer's forecasts 0.2 to 2.5 more (docs/trainer.md, *Trees on deviations*).
public struct TreeInputLayout: Codable, Sendable, Equatable {
    /// Design columns read a second time, as the value minus `recentColumn`'s, in this order after
    /// the neighborhood's column.
    public let levelColumns: [Int]
    /// The design's recent-level column.
    public let recentColumn: Int

    public init(levelColumns: [Int], recentColumn: Int) {
        self.levelColumns = levelColumns
        self.recentColumn = recentColumn
    }

    enum CodingKeys: String, CodingKey {
        case levelColumns = "level_columns"
        case recentColumn = "recent_column"
    }

    /// The design's level columns of `target` that the design has, in `levelNames` order; nil for
    /// a design without the recent level's column.
    public init?(columnNames: [String], target: ForecastTarget) {
        guard let recent = columnNames.firstIndex(of: RidgeDesign.anchorColumns[1]) else { return nil }
        recentColumn = recent
        levelColumns = Self.levelNames(target).compactMap { columnNames.firstIndex(of: $0) }
    }

    static func levelNames(_ target: ForecastTarget) -> [String] {
        let field = target == .speed ? "speed" : "flow"
        return [
            "ha_target_time", "ha_issue_time", "profile_target_time", "neighborhood_profile_target_time",
        ] + RidgeDesign.profileRatioColumns + ["last_\(field)", "\(field)_yesterday", "\(field)_last_week", "\(field)_mean_60m"]
    }

    /// Columns of a tree row for a design of `designColumns`.
    func width(designColumns: Int) -> Int { designColumns + 1 + levelColumns.count }

    /// Fills the differences of a tree row whose first `designColumns` values are the design row.
    func fillDifferences(_ row: UnsafeMutableBufferPointer<Double>, designColumns: Int) {
        let recent = row[recentColumn]
        for (k, column) in levelColumns.enumerated() { row[designColumns + 1 + k] = row[column] - recent }
    }

    /// Appends the differences of `designRow` to `row`.
    func appendDifferences(of designRow: UnsafeBufferPointer<Double>, to row: inout [Double]) {
        let recent = designRow[recentColumn]
        for column in levelColumns { row.append(designRow[column] - recent) }
    }

    /// Whether every column lies inside a design of `designColumns`.
    func fits(designColumns: Int) -> Bool {
        recentColumn >= 0 && recentColumn < designColumns && levelColumns.allSatisfy { $0 >= 0 && $0 < designColumns }
    }
}
