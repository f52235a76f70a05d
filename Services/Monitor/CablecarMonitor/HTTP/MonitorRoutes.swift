import CablecarDomain
import CablecarService
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// The monitor's HTTP API (docs/monitor.md):
/// - `GET /api/v1/alerts?state=open|resolved&neighborhood=N&limit=100`
/// - `GET /api/v1/accuracy?window=hour|day&from=MS&to=MS&neighborhood=N`
/// - `GET /api/v1/drift?neighborhood=N&from=MS&to=MS&latest=true|false&limit=1000`
/// - `GET /api/v1/status`: the loop's progress.
/// - `GET /dashboard?days=7`: the HTML dashboard (DashboardPage).
public enum MonitorRoutes {
    static let maxLimit = 10_000
    static let maxAccuracyRows = 100_000

    public static func add(
        to router: Router<BasicRequestContext>, database: PostgresClient, progress: MonitorProgress,
        driftThreshold: Double = AlertRule().driftThreshold, logger: Logger
    ) {
        OpenAPIRoute.add(to: router, document: OpenAPIRoute.document(in: .module))
        let api = router.group("api/v1")
        api.get("alerts") { request, _ -> Response in
            let query = request.uri.queryParameters
            var state: MonitorAlert.State?
            if let raw = query["state"].map(String.init) {
                guard let parsed = MonitorAlert.State(rawValue: raw) else {
                    throw ServiceError.badRequest("state must be open or resolved, not '\(raw)'")
                }
                state = parsed
            }
            let limit = try integer(query["limit"].map(String.init), name: "limit", default: 100, range: 1...Int64(maxLimit))
            let neighborhood = try QueryParameter.string(request, "neighborhood")
            let alerts = try await AlertStore.alerts(
                state: state, neighborhood: neighborhood, limit: Int(limit), on: database, logger: logger)
            return try json(AlertList(alerts: alerts))
        }
        api.get("accuracy") { request, _ -> Response in
            let query = request.uri.queryParameters
            let kind = query["window"].map(String.init) ?? "hour"
            guard kind == "hour" || kind == "day" else { throw ServiceError.badRequest("window must be hour or day, not '\(kind)'") }
            let from = try integer(query["from"].map(String.init), name: "from", default: 0, range: 0...(1 << 50))
            let to = try integer(query["to"].map(String.init), name: "to", default: 1 << 50, range: 0...(1 << 50))
            guard from < to else { throw ServiceError.badRequest("from (\(from)) must be before to (\(to))") }
            let rows = try await WindowStore.rows(
                kind: kind, from: from, to: to, neighborhood: try QueryParameter.string(request, "neighborhood"), limit: maxAccuracyRows,
                on: database,
                logger: logger)
            return try json(AccuracyList(windows: rows, truncated: rows.count >= maxAccuracyRows))
        }
        api.get("drift") { request, _ -> Response in
            let query = request.uri.queryParameters
            let from = try integer(query["from"].map(String.init), name: "from", default: 0, range: 0...(1 << 50))
            let to = try integer(query["to"].map(String.init), name: "to", default: 1 << 50, range: 0...(1 << 50))
            guard from < to else { throw ServiceError.badRequest("from (\(from)) must be before to (\(to))") }
            let limit = try integer(query["limit"].map(String.init), name: "limit", default: 1000, range: 1...Int64(maxAccuracyRows))
            let latest: Bool
            switch query["latest"].map(String.init) {
            case nil, "false": latest = false
            case "true": latest = true
            case let other?: throw ServiceError.badRequest("latest must be true or false, not '\(other.prefix(40))'")
            }
            let findings = try await DriftStore.findings(
                from: from, to: to, neighborhood: try QueryParameter.string(request, "neighborhood"), latest: latest, limit: Int(limit),
                on: database, logger: logger)
            return try json(DriftList(findings: findings, truncated: findings.count >= limit))
        }
        api.get("status") { _, _ -> Response in
            try json(progress.value)
        }
        router.get("dashboard") { request, _ -> Response in
            let days = try integer(request.uri.queryParameters["days"].map(String.init), name: "days", default: 7, range: 1...90)
            let latest = try await WindowStore.latestStart(kind: "hour", on: database, logger: logger) ?? 0
            let from = latest - days * WindowStore.dayMillis
            let hourly = try await WindowStore.rows(
                kind: "hour", from: from, to: latest + 1, limit: maxAccuracyRows, on: database, logger: logger)
            let daily = try await WindowStore.rows(
                kind: "day", from: from - WindowStore.dayMillis, to: latest + 1, limit: maxAccuracyRows, on: database, logger: logger)
            let alerts = try await AlertStore.alerts(state: nil, neighborhood: nil, limit: 500, on: database, logger: logger)
            let drift = try await DriftStore.findings(
                from: 0, to: 1 << 50, neighborhood: nil, latest: true, limit: maxAccuracyRows, on: database, logger: logger)
            let now = EpochMillis(Date().timeIntervalSince1970 * 1000)
            let html = DashboardPage.render(
                hourly: hourly, daily: daily, alerts: alerts, drift: drift, driftThreshold: driftThreshold, generatedAt: now)
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }
    }

    struct AlertList: Encodable {
        var alerts: [MonitorAlert]
    }

    struct DriftList: Encodable {
        var findings: [DriftFinding]
        var truncated: Bool
    }

    struct AccuracyList: Encodable {
        var windows: [WindowMetrics]
        var truncated: Bool
    }

    static func integer(_ raw: String?, name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let raw else { return value }
        guard let parsed = Int64(raw), range.contains(parsed) else {
            throw ServiceError.badRequest(
                "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(raw.prefix(40))'")
        }
        return parsed
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = WireCodec.encoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
