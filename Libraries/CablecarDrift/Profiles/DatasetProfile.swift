import Foundation

/// The profile of one group (e.g. one neighborhood).
public struct GroupProfile: Sendable, Codable, Equatable {
    public var rowCount: Int
    public var features: [String: FeatureProfile]

    public init(rowCount: Int, features: [String: FeatureProfile]) {
        self.rowCount = rowCount
        self.features = features
    }
}

/// Raw values of one feature, for building profiles from memory rather than CSV.
public enum FeatureValues: Sendable {
    /// NaN and infinities count as missing.
    case numerical([Double])
    /// nil counts as missing.
    case categorical([String?])
}

/// A reference (or current) data set reduced to what the drift tests need, per group. Computed
/// once from the reference and stored as JSON, so that later windows are compared without
/// re-reading the reference data.
public struct DatasetProfile: Sendable, Codable, Equatable {
    /// Bumped when the JSON layout changes incompatibly.
    public static let formatVersion = 1

    public var v: Int
    /// Column the groups come from, or nil for one group holding everything.
    public var groupColumn: String?
    /// Feature names in column order, with their kinds.
    public var features: [FeatureSpec]
    public var groups: [String: GroupProfile]
    public var source: String?

    public init(groupColumn: String?, features: [FeatureSpec], groups: [String: GroupProfile], source: String? = nil) {
        v = Self.formatVersion
        self.groupColumn = groupColumn
        self.features = features
        self.groups = groups
        self.source = source
    }

    /// Builds a profile from in-memory columns: `groups[group][feature]`.
    public static func build(
        groups: [String: [String: FeatureValues]], groupColumn: String? = nil,
        mode: ProfileMode = .exact
    ) -> DatasetProfile {
        var specs: [String: FeatureKind] = [:]
        var result: [String: GroupProfile] = [:]
        for (group, columns) in groups {
            var features: [String: FeatureProfile] = [:]
            var rows = 0
            for (name, values) in columns {
                switch values {
                case .numerical(let raw):
                    var clean = raw.filter(\.isFinite)
                    features[name] = .numerical(NumericalProfile(values: &clean, missing: raw.count - clean.count, mode: mode))
                    specs[name] = .numerical
                    rows = max(rows, raw.count)
                case .categorical(let raw):
                    var counts: [String: Int] = [:]
                    for case let label? in raw { counts[label, default: 0] += 1 }
                    let present = counts.values.reduce(0, +)
                    features[name] = .categorical(CategoricalProfile(counts: counts, missing: raw.count - present))
                    specs[name] = .categorical
                    rows = max(rows, raw.count)
                }
            }
            result[group] = GroupProfile(rowCount: rows, features: features)
        }
        let features = specs.keys.sorted().map { FeatureSpec(name: $0, kind: specs[$0] ?? .numerical) }
        return DatasetProfile(groupColumn: groupColumn, features: features, groups: result)
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    public static func load(jsonData data: Data) throws(DriftError) -> DatasetProfile {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let profile: DatasetProfile
        do {
            profile = try decoder.decode(DatasetProfile.self, from: data)
        } catch {
            throw DriftError(.invalidProfile, "cannot read the reference profile: \(error); regenerate it with this version of Cablecar")
        }
        guard profile.v == formatVersion else {
            throw DriftError(
                .invalidProfile,
                "reference profile has format version \(profile.v), this build reads version \(formatVersion); regenerate it")
        }
        return profile
    }
}
