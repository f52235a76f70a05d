import Foundation

/// Reference and current distributions of one feature, binned for a chart.
public struct DistributionChart: Sendable, Codable, Equatable {
    /// Bin labels: category names, or nil for numerical bins described by `edges`.
    public var labels: [String]?
    public var edges: [Double]?
    public var reference: [Double]
    public var current: [Double]
}

/// Outcome of one feature's test in one group.
public struct FeatureResult: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// The test ran.
        case tested
        /// Too few values on a side; no statistic is reported.
        case insufficientData
        /// The feature has no values at all on one side.
        case missingOnOneSide
        /// The requested test cannot run on this data (e.g. chi-square with one category).
        case notApplicable
    }

    public var feature: String
    public var kind: FeatureKind
    public var test: StatTest
    public var threshold: Double
    public var status: Status
    /// KS D, chi-square or z statistic, or the distance for distance tests.
    public var statistic: Double?
    /// Only for p-value tests, and only when computed; never invented.
    public var pValue: Double?
    /// What the threshold is compared with: the p-value or the distance.
    public var score: Double?
    public var drifted: Bool?
    /// "exact" or "asymptotic" for KS.
    public var method: String?
    public var referenceCount: Int
    public var currentCount: Int
    public var referenceMissing: Int
    public var currentMissing: Int
    public var notes: [String]
    public var chart: DistributionChart?
}

/// Outcome for one group (e.g. one neighborhood).
public struct GroupResult: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case compared
        case onlyInReference
        case onlyInCurrent
    }

    public var group: String
    public var status: Status
    public var referenceRows: Int
    public var currentRows: Int
    public var features: [FeatureResult]
    public var testedFeatures: Int
    public var driftedFeatures: Int
    /// Share of tested features that drifted; nil when nothing could be tested.
    public var driftShare: Double?
    public var drifted: Bool?
    public var notes: [String]
}

/// A whole comparison, groups sorted worst first.
public struct DriftReport: Sendable, Codable, Equatable {
    public static let formatVersion = 1

    public var v: Int = DriftReport.formatVersion
    public var reference: String
    public var current: String
    public var groupColumn: String?
    public var driftShareThreshold: Double
    public var groups: [GroupResult]
    public var driftedGroups: Int
    /// Problems with the input that did not stop the comparison (e.g. skipped values).
    public var warnings: [String]

    public init(
        reference: String, current: String, groupColumn: String?, driftShareThreshold: Double,
        groups: [GroupResult], warnings: [String]
    ) {
        self.reference = reference
        self.current = current
        self.groupColumn = groupColumn
        self.driftShareThreshold = driftShareThreshold
        self.groups = groups.sorted(by: DriftReport.worseFirst)
        self.driftedGroups = groups.filter { $0.drifted == true }.count
        self.warnings = warnings
    }

    /// Compared groups by share of drifted features, then count, then how far their most extreme
    /// feature is past its threshold; groups seen on one side only come after them.
    static func worseFirst(_ a: GroupResult, _ b: GroupResult) -> Bool {
        let ca = a.status == .compared
        let cb = b.status == .compared
        if ca != cb { return ca }
        let sa = a.driftShare ?? -1
        let sb = b.driftShare ?? -1
        if sa != sb { return sa > sb }
        if a.driftedFeatures != b.driftedFeatures { return a.driftedFeatures > b.driftedFeatures }
        let ea = severity(a)
        let eb = severity(b)
        if ea != eb { return ea > eb }
        return a.group < b.group
    }

    /// Largest ratio of a feature's evidence to its threshold (distance/threshold, or
    /// threshold/p-value), for ordering groups with equal shares.
    static func severity(_ g: GroupResult) -> Double {
        g.features.compactMap { f -> Double? in
            guard let score = f.score else { return nil }
            if f.test.isPValueTest { return f.threshold / max(score, 1e-300) }
            return score / max(f.threshold, 1e-300)
        }.max() ?? 0
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
