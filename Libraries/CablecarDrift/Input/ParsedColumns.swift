import Foundation

/// Values of one file split by group and feature while the CSV is scanned.
struct ParsedColumns {
    struct NumericColumn {
        var name: String
        /// values[group]
        var values: [[Double]] = []
        var missing: [Int] = []
        var invalidCount = 0
        var invalidExamples: [(line: Int, text: String)] = []

        mutating func recordInvalid(line: Int, text: String) {
            invalidCount += 1
            if invalidExamples.count < 3 { invalidExamples.append((line, text)) }
        }
    }

    struct CategoricalColumn {
        var name: String
        var labels = ByteInterner()
        /// counts[group][label id]
        var counts: [[Int]] = []
        var missing: [Int] = []

        mutating func count(_ text: UnsafePointer<UInt8>, length: Int, group: Int) {
            let id = Int(labels.intern(text, count: length))
            if counts[group].count <= id { counts[group].append(contentsOf: repeatElement(0, count: id + 1 - counts[group].count)) }
            counts[group][id] += 1
        }
    }

    var specs: [FeatureSpec]
    var numericSpecs: [FeatureSpec]
    var categoricalSpecs: [FeatureSpec]
    var numeric: [NumericColumn]
    var categorical: [CategoricalColumn]
    var groups = ByteInterner()
    var groupRows: [Int] = []
    var rowCount = 0
    var warnings: [String] = []

    init(specs: [FeatureSpec], header: [String]) {
        self.specs = specs
        numericSpecs = specs.filter { $0.kind == .numerical }
        categoricalSpecs = specs.filter { $0.kind == .categorical }
        numeric = numericSpecs.map { NumericColumn(name: $0.name) }
        categorical = categoricalSpecs.map { CategoricalColumn(name: $0.name) }
    }

    mutating func group(_ text: UnsafePointer<UInt8>, count: Int) -> Int {
        let id = Int(groups.intern(text, count: count))
        if id == groupRows.count { addGroup() }
        return id
    }

    mutating func group(named name: String) -> Int {
        // A trailing terminator keeps the buffer non-empty, so its base address always exists.
        let bytes = Array(name.utf8) + [0]
        let id = bytes.withUnsafeBufferPointer { buffer -> Int in
            guard let p = buffer.baseAddress else { return 0 }
            return Int(groups.intern(p, count: buffer.count - 1))
        }
        if id == groupRows.count { addGroup() }
        return id
    }

    private mutating func addGroup() {
        groupRows.append(0)
        for k in numeric.indices {
            numeric[k].values.append([])
            numeric[k].missing.append(0)
        }
        for k in categorical.indices {
            categorical[k].counts.append([])
            categorical[k].missing.append(0)
        }
    }

    func groupName(_ id: Int) -> String {
        let name = String(decoding: groups.bytes(of: id), as: UTF8.self)
        return name.isEmpty ? "(blank)" : name
    }

    /// Sorts every numerical column (features in parallel) and assembles the profile.
    consuming func profile(fileName: String, groupColumn: String?, mode: ProfileMode) async -> LoadedDataset {
        let groupCount = groupRows.count
        let boxes = numeric.map { ColumnBox($0.values, missing: $0.missing) }
        for k in numeric.indices { numeric[k].values = [] }
        let numericProfiles = await withTaskGroup(of: (Int, [NumericalProfile]).self, returning: [[NumericalProfile]].self) { tasks in
            for (k, box) in boxes.enumerated() {
                tasks.addTask { (k, box.profiles(mode: mode)) }
            }
            var out = [[NumericalProfile]](repeating: [], count: boxes.count)
            for await (k, profiles) in tasks { out[k] = profiles }
            return out
        }
        var groupProfiles: [String: GroupProfile] = [:]
        for g in 0..<groupCount {
            var features: [String: FeatureProfile] = [:]
            for (k, spec) in numericSpecs.enumerated() { features[spec.name] = .numerical(numericProfiles[k][g]) }
            for (k, spec) in categoricalSpecs.enumerated() {
                let column = categorical[k]
                var counts: [String: Int] = [:]
                for (id, n) in column.counts[g].enumerated() where n > 0 {
                    counts[String(decoding: column.labels.bytes(of: id), as: UTF8.self), default: 0] += n
                }
                features[spec.name] = .categorical(CategoricalProfile(counts: counts, missing: column.missing[g]))
            }
            groupProfiles[groupName(g), default: GroupProfile(rowCount: 0, features: [:])] = GroupProfile(
                rowCount: groupRows[g], features: features)
        }
        let profile = DatasetProfile(groupColumn: groupColumn, features: specs, groups: groupProfiles, source: fileName)
        return LoadedDataset(profile: profile, rowCount: rowCount, features: specs, warnings: warnings)
    }
}

/// Hands one feature's per-group arrays to a task with unique ownership, so sorting happens in
/// place instead of copying hundreds of megabytes. Only the owning task touches it.
final class ColumnBox: @unchecked Sendable {
    private var values: [[Double]]
    private let missing: [Int]

    init(_ values: [[Double]], missing: [Int]) {
        self.values = values
        self.missing = missing
    }

    func profiles(mode: ProfileMode) -> [NumericalProfile] {
        var out: [NumericalProfile] = []
        for g in values.indices {
            var column = values[g]
            values[g] = []
            out.append(NumericalProfile(values: &column, missing: missing[g], mode: mode))
        }
        return out
    }
}
