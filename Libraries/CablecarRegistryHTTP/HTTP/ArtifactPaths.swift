import CablecarRegistry
import CablecarRegistryAPI

/// Where artifacts live in MLflow's URI schemes, mapped to (run, path) in the registry.
enum ArtifactPaths {
    /// "<experiment>/<run>/artifacts/<path...>" → (run, path); path may be empty (the root).
    static func split(_ segments: [String]) -> (experiment: String, run: String, path: String)? {
        guard segments.count >= 3, segments[2] == "artifacts", RegistryStore.isRunID(segments[1]) else { return nil }
        return (segments[0], segments[1], segments.dropFirst(3).joined(separator: "/"))
    }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// The run-relative path a model version's `source` points at, when it points into `runID`:
    /// "runs:/<run>/<path>" or "mlflow-artifacts:/<exp>/<run>/artifacts/<path>" (also behind a host).
    static func runArtifactPath(source: String, runID: String) -> String? {
        if source.hasPrefix("runs:/") {
            let parts = segments(String(source.dropFirst("runs:/".count)))
            guard parts.first == runID else { return nil }
            return parts.dropFirst().joined(separator: "/")
        }
        guard let marker = source.range(of: "/\(runID)/artifacts") else { return nil }
        return segments(String(source[marker.upperBound...])).joined(separator: "/")
    }
}
