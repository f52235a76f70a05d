import CablecarRegistry
import CablecarRegistryAPI
import Foundation
import Hummingbird

/// MLflow's proxied artifact store (`mlflow-artifacts:` URIs), backed by the registry's
/// Postgres artifacts: PUT uploads, GET downloads, GET without a path lists.
enum MLflowArtifactRoutes {
    static let root = "/api/2.0/mlflow-artifacts/artifacts"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.put(
            RouterPath("\(root)/**"),
            use: RegistryHandlers.guarded { request, context in
                let (run, path) = try location(context.parameters.getCatchAll())
                guard !path.isEmpty else { throw APIError.invalid("artifact upload needs a file path after .../artifacts/") }
                // Who may write: anyone to a run without registered model versions (MLflow tracking
                // is open); the admin token to a run with registered versions; nobody over a file of
                // such a run or under a registered version's path (the store refuses: immutable).
                if try await store.hasRegisteredVersions(runID: run) {
                    _ = try h.admin.authorize(request, fallbackActor: "admin")
                }
                let limit = min(h.configuration.maxArtifactBytes, h.store.limits.maxArtifactBytes)
                let bytes = try await JSONBody.readBytes(request, limit: limit)
                let digest = try await store.putArtifact(runID: run, path: path, bytes: bytes)
                return JSONBody.ok(["sha256": digest])
            })
        router.get(
            RouterPath("\(root)/**"),
            use: RegistryHandlers.guarded { _, context in
                let (run, path) = try location(context.parameters.getCatchAll())
                let bytes = try await store.artifact(runID: run, path: path)
                return Response(
                    status: .ok, headers: [.contentType: "application/octet-stream"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            })
        router.get(
            RouterPath(root),
            use: RegistryHandlers.guarded { request, _ in
                let listed = try await h.body(request).string("path") ?? ""
                // The query parameter is decoded already: split it without decoding again.
                let (run, directory) = try location(decoded: listed.split(separator: "/").map(String.init))
                let prefix = directory.isEmpty ? "" : directory + "/"
                var files: [String: [String: Any]] = [:]
                for artifact in try await store.artifacts(runID: run, prefix: directory) where artifact.path.hasPrefix(prefix) {
                    let rest = artifact.path.dropFirst(prefix.count)
                    if let slash = rest.firstIndex(of: "/") {
                        let name = String(rest[..<slash])
                        files[name] = ["path": name, "is_dir": true]
                    } else {
                        files[String(rest)] = ["path": String(rest), "is_dir": false, "file_size": artifact.sizeBytes]
                    }
                }
                return JSONBody.ok(["files": files.keys.sorted().compactMap { files[$0] }])
            })
    }

    /// (run, path) from "<experiment>/<run>/artifacts/<path...>".
    static func location(_ raw: [Substring]) throws -> (String, String) {
        let segments = try raw.map { segment in
            guard let decoded = String(segment).removingPercentEncoding, !decoded.utf8.contains(0) else {
                throw APIError.invalid("artifact path segment '\(segment.prefix(100))' is not valid percent-encoded UTF-8 or contains NUL")
            }
            return decoded
        }
        return try location(decoded: segments)
    }

    static func location(decoded segments: [String]) throws -> (String, String) {
        guard let split = ArtifactPaths.split(segments) else {
            throw APIError.invalid("artifact path must look like <experiment_id>/<run_id>/artifacts/<path>")
        }
        return (split.run, split.path)
    }
}
