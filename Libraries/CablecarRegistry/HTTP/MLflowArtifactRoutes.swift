import Foundation
import Hummingbird

/// MLflow's proxied artifact store (`mlflow-artifacts:` URIs), backed by the registry's
/// Postgres artifacts: PUT uploads, GET downloads, GET without a path lists.
enum MLflowArtifactRoutes {
    static let root = "/api/2.0/mlflow-artifacts/artifacts"

    static func add<Context: RequestContext>(to router: Router<Context>, _ h: RegistryHandlers) {
        let store = h.store
        router.put(RouterPath("\(root)/**"), use: RegistryHandlers.guarded { request, context in
            let (run, path) = try location(context.parameters.getCatchAll())
            guard !path.isEmpty else { throw APIError.invalid("artifact upload needs a file path after .../artifacts/") }
            let limit = min(h.configuration.maxArtifactBytes, h.store.limits.maxArtifactBytes)
            let bytes = try await JSONBody.readBytes(request, limit: limit)
            let digest = try await store.putArtifact(runID: run, path: path, bytes: bytes)
            return JSONBody.ok(["sha256": digest])
        })
        router.get(RouterPath("\(root)/**"), use: RegistryHandlers.guarded { _, context in
            let (run, path) = try location(context.parameters.getCatchAll())
            let bytes = try await store.artifact(runID: run, path: path)
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        })
        router.get(RouterPath(root), use: RegistryHandlers.guarded { request, _ in
            let listed = try await h.body(request).string("path") ?? ""
            let (run, directory) = try location(ArtifactPaths.segments(listed).map { Substring($0) })
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
        let segments = raw.map { String($0).removingPercentEncoding ?? String($0) }
        guard let split = ArtifactPaths.split(segments) else {
            throw APIError.invalid("artifact path must look like <experiment_id>/<run_id>/artifacts/<path>")
        }
        return (split.run, split.path)
    }
}
