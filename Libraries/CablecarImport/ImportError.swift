/// Why an import cannot start at all (as opposed to a row it rejects, `RowRejection`).
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedFile(String)
    case missingColumn(file: String, column: String)
    case invalidMapping(String)
    case invalidCity(String)

    public var description: String {
        switch self {
        case .malformedFile(let reason): "cannot read the CSV file: \(reason)"
        case .missingColumn(let file, let column):
            "the \(file) file has no \(column) column: add it to the header row (layouts: docs/import.md)"
        case .invalidMapping(let reason): "the detector mapping is unusable: \(reason) (layout: docs/import.md)"
        case .invalidCity(let reason): "the city generated from the mapping is invalid: \(reason)"
        }
    }
}
