import Foundation

/// What a model version was trained on, per neighborhood, for drift monitoring: a
/// `QuantileSummary` of every input feature and of the model's own predictions per target and
/// horizon (named `prediction.<target>.h<minutes>`). The trainer stores it with the version's
/// run (artifact `ReferenceProfile.artifactPath`); the monitor compares what is served with it.
public struct ReferenceProfile: Sendable, Codable, Equatable {
    /// Bumped when the JSON layout changes incompatibly.
    public static let formatVersion = 1
    /// Where the trainer stores it among the run's artifacts.
    public static let artifactPath = "drift/reference_profile.json"
    /// Largest profile read back (the main job's city takes 0.75 MB).
    public static let maximumBytes = 32 << 20

    public var v: Int
    /// The data the summaries come from (e.g. the snapshot fingerprint and period).
    public var source: String
    /// neighborhood → name → summary.
    public var neighborhoods: [String: [String: QuantileSummary]]
    /// Columns compared and reported but never alerted on: their windows differ from the
    /// reference by nature (e.g. one day's weather against a week's), not by drift.
    public var reportOnly: Set<String>

    public init(source: String, neighborhoods: [String: [String: QuantileSummary]], reportOnly: Set<String> = []) {
        v = Self.formatVersion
        self.source = source
        self.neighborhoods = neighborhoods
        self.reportOnly = reportOnly
    }

    /// The name under which predictions of `target` at `horizonMinutes` are summarized.
    public static func predictionName(target: String, horizonMinutes: Int) -> String { "prediction.\(target).h\(horizonMinutes)" }

    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// Reads a stored profile, keeping only valid summaries (an invalid one would otherwise reach
    /// arithmetic); throws when the bytes are not a profile this build reads.
    public static func load(_ bytes: [UInt8]) throws(DriftError) -> ReferenceProfile {
        guard bytes.count <= maximumBytes else {
            throw DriftError(
                .invalidProfile, "the reference profile has \(bytes.count) bytes, more than the \(maximumBytes) this build reads")
        }
        var profile: ReferenceProfile
        do {
            profile = try JSONDecoder().decode(ReferenceProfile.self, from: Data(bytes))
        } catch {
            throw DriftError(.invalidProfile, "cannot read the reference profile: \(error); retrain the model to store a new one")
        }
        guard profile.v == formatVersion else {
            throw DriftError(
                .invalidProfile, "reference profile has format version \(profile.v), this build reads version \(formatVersion); retrain")
        }
        profile.neighborhoods = profile.neighborhoods.mapValues { $0.filter { $0.value.isValid } }
        return profile
    }
}
