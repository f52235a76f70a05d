import CablecarDomain

public enum FeatureError: Error, CustomStringConvertible, Equatable {
    case unknownTimeZone(String)
    case unknownFeatures([String])
    case unknownNeighborhoods([String])
    case unknownSegments([String])
    case invalidRange(String)
    case duplicateFeature(String)

    public var description: String {
        switch self {
        case .unknownTimeZone(let zone): "the city's time zone \(zone) is unknown to this system; fix the city definition"
        case .unknownFeatures(let names): "unknown feature(s): \(names.joined(separator: ", ")); see the feature catalog"
        case .unknownNeighborhoods(let names): "unknown neighborhood(s): \(names.joined(separator: ", "))"
        case .unknownSegments(let ids): "unknown segment(s): \(ids.joined(separator: ", "))"
        case .invalidRange(let reason): "invalid time range: \(reason)"
        case .duplicateFeature(let name): "feature \(name) is declared twice; names must be unique"
        }
    }
}
