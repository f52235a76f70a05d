/// Which columns of a CSV file to compare, as the user named them.
public struct ColumnRequest: Sendable, Equatable {
    /// Column whose values name the groups (e.g. "neighborhood"); nil for a single group.
    public var groupColumn: String?
    /// Features to compare; nil means every column except the group column.
    public var features: [String]?
    /// Features to treat as categories; all others are numerical.
    public var categorical: [String]

    public init(groupColumn: String?, features: [String]? = nil, categorical: [String] = []) {
        self.groupColumn = groupColumn
        self.features = features
        self.categorical = categorical
    }

    /// Name of the single group used when there is no group column.
    public static let allRowsGroup = "(all rows)"

    /// Resolves the request against a header: feature specs in header order.
    public func resolve(header: [String], fileName: String) throws(DriftError) -> [FeatureSpec] {
        if let groupColumn, !header.contains(groupColumn) {
            throw missing(groupColumn, role: "group column (--by)", header: header, fileName: fileName)
        }
        var names: [String]
        if let features {
            names = []
            for name in features where !names.contains(name) { names.append(name) }
            for name in categorical where !names.contains(name) { names.append(name) }
        } else {
            names = header.filter { $0 != groupColumn }
        }
        for name in names where !header.contains(name) {
            throw missing(
                name, role: categorical.contains(name) ? "categorical column" : "feature column", header: header, fileName: fileName)
        }
        for name in categorical where !header.contains(name) {
            throw missing(name, role: "categorical column", header: header, fileName: fileName)
        }
        if names.isEmpty {
            throw DriftError(
                .missingColumn, "\(fileName): no feature columns to compare; the header has only \(header.joined(separator: ", "))")
        }
        return names.map { FeatureSpec(name: $0, kind: categorical.contains($0) ? .categorical : .numerical) }
    }

    private func missing(_ name: String, role: String, header: [String], fileName: String) -> DriftError {
        DriftError(.missingColumn, "\(fileName): \(role) '\(name)' not found; the header has: \(header.joined(separator: ", "))")
    }
}
