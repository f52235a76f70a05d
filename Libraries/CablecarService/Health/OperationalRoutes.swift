import Foundation
import Hummingbird
import Prometheus

/// `/health/live`, `/health/ready` and `/metrics`, which every service serves.
public enum OperationalRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, service: String, checks: [any ReadinessCheck], registry: PrometheusCollectorRegistry
    ) {
        router.get("/health/live") { _, _ in
            jsonResponse(.ok, ["status": "live", "service": service])
        }
        router.get("/health/ready") { _, _ in
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                for check in checks { group.addTask { (check.name, await check.isReady()) } }
                var results: [String: String] = [:]
                for await (name, ready) in group { results[name] = ready ? "up" : "down" }
                return results
            }
            let ready = results.values.allSatisfy { $0 == "up" }
            var body: [String: String] = ["status": ready ? "ready" : "not ready", "service": service]
            for (name, state) in results { body["check.\(name)"] = state }
            return jsonResponse(ready ? .ok : .serviceUnavailable, body)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    public static func jsonResponse(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
