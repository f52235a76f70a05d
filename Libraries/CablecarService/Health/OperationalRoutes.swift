import Foundation
import Hummingbird
import Prometheus

/// `/health/live`, `/health/ready` and `/metrics`, which every service serves, and
/// `/api/v1/stream` (how far its consumer groups are behind) in services that consume streams.
public enum OperationalRoutes {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, service: String, checks: [any ReadinessCheck], streams: [any StreamLagReporting] = [],
        registry: PrometheusCollectorRegistry
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
        if !streams.isEmpty {
            router.get("/api/v1/stream") { _, _ in
                var lags: [StreamLag] = []
                for stream in streams {
                    do {
                        lags.append(try await stream.lag())
                    } catch {
                        throw ServiceError.unavailable(
                            "could not measure the stream's lag (\(error)); the broker may be unreachable: retry once it answers")
                    }
                }
                return jsonResponse(.ok, StreamReport(service: service, streams: lags))
            }
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

/// The body of `GET /api/v1/stream`: `lag` is the sum over every stream and topic.
struct StreamReport: Encodable {
    var service: String
    var streams: [StreamLag]
    var lag: Int64 { streams.reduce(0) { $0 + $1.lag } }

    enum CodingKeys: String, CodingKey { case service, streams, lag }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(streams, forKey: .streams)
        try container.encode(lag, forKey: .lag)
    }
}
