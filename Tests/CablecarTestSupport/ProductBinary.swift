import Foundation

/// Executables built by this package (`swift build` puts them beside the test bundle).
public enum ProductBinary {
    public static func url(_ name: String) throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw CocoaError(
                .fileNoSuchFile,
                userInfo: [
                    NSFilePathErrorKey: candidate.path,
                    NSLocalizedDescriptionKey: "\(name) was not built next to the tests at \(candidate.path): run `swift build` first",
                ])
        }
        return candidate
    }
}
