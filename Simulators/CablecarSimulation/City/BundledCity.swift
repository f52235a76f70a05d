import CablecarDomain
import Foundation

extension CityDefinition {
    /// The SF-like city that ships with the simulator (`Resources/city.json`). Users who want
    /// another city pass its path instead (`cablecar-sim replay --city FILE`).
    public static func bundledDefault() throws -> CityDefinition {
        guard let url = bundledDefaultURL else {
            throw CityDefinitionError.unreadable(
                path: "Resources/city.json", reason: "the simulator's resource bundle has no city.json; rebuild the package")
        }
        return try load(from: url)
    }

    /// Where the bundled city lives, for tools that want to print or copy it.
    public static var bundledDefaultURL: URL? {
        Bundle.module.url(forResource: "city", withExtension: "json", subdirectory: "Resources")
    }
}
