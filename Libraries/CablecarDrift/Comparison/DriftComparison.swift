import Foundation

/// Compares a current data set with a reference, per group and feature, and decides per group
/// whether it drifted (Evidently's data-set rule: drifted when the share of drifted features is
/// at least `driftShare`).
public enum DriftComparison {
    /// - Parameters:
    ///   - features: what to compare and how; defaults to the reference profile's features.
    ///   - warnings: input problems to carry into the report.
    public static func compare(
        reference: DatasetProfile, current: DatasetProfile, features: [FeatureSpec]? = nil,
        configuration: DriftConfiguration = DriftConfiguration(),
        referenceName: String = "reference", currentName: String = "current",
        warnings: [String] = []
    ) async -> DriftReport {
        let specs = features ?? reference.features
        let names = Array(Set(reference.groups.keys).union(current.groups.keys))
        let results = await withTaskGroup(of: GroupResult.self, returning: [GroupResult].self) { group in
            for name in names {
                group.addTask {
                    compareGroup(
                        name, reference: reference.groups[name], current: current.groups[name],
                        specs: specs, configuration: configuration)
                }
            }
            var all: [GroupResult] = []
            for await result in group { all.append(result) }
            return all
        }
        return DriftReport(
            reference: referenceName, current: currentName, groupColumn: reference.groupColumn ?? current.groupColumn,
            driftShareThreshold: configuration.driftShare, groups: results, warnings: warnings)
    }

    /// One group; also usable on its own (e.g. by the monitor for one window).
    public static func compareGroup(
        _ name: String, reference: GroupProfile?, current: GroupProfile?,
        specs: [FeatureSpec], configuration: DriftConfiguration
    ) -> GroupResult {
        guard let reference, let current else {
            let onlyReference = current == nil
            return GroupResult(
                group: name, status: onlyReference ? .onlyInReference : .onlyInCurrent,
                referenceRows: reference?.rowCount ?? 0, currentRows: current?.rowCount ?? 0,
                features: [], testedFeatures: 0, driftedFeatures: 0, driftShare: nil, drifted: nil,
                notes: [
                    onlyReference
                        ? "group present in the reference only: no current rows, so nothing to compare"
                        : "group present in the current data only: no reference rows, so nothing to compare"
                ])
        }
        let features = specs.map { spec in
            FeatureComparator.compare(
                spec: spec, reference: reference.features[spec.name], current: current.features[spec.name],
                configuration: configuration)
        }
        let tested = features.filter { $0.drifted != nil }
        let drifted = tested.filter { $0.drifted == true }.count
        var notes: [String] = []
        let share: Double?
        if tested.isEmpty {
            share = nil
            notes.append("no feature could be tested in this group")
        } else {
            share = Double(drifted) / Double(tested.count)
            if tested.count < features.count {
                notes.append(
                    "\(features.count - tested.count) of \(features.count) features could not be tested; the share counts tested features only"
                )
            }
        }
        return GroupResult(
            group: name, status: .compared, referenceRows: reference.rowCount, currentRows: current.rowCount,
            features: features, testedFeatures: tested.count, driftedFeatures: drifted, driftShare: share,
            drifted: share.map { $0 >= configuration.driftShare }, notes: notes)
    }
}
