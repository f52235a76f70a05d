import CablecarDomain
import CablecarForecasting
import CablecarService
import Foundation

/// The body of POST /v1/forecasts, as sent; `validate` turns it into a `ForecastQuery` or a 4xx.
public struct ForecastRequestBody: Codable, Sendable {
    public var segments: [String]?
    public var neighborhood: String?
    public var horizons: [Int]?
    public var targets: [String]?
    public var requestID: String?

    public init(
        segments: [String]? = nil, neighborhood: String? = nil, horizons: [Int]? = nil, targets: [String]? = nil, requestID: String? = nil
    ) {
        self.segments = segments
        self.neighborhood = neighborhood
        self.horizons = horizons
        self.targets = targets
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case segments, neighborhood, horizons, targets
        case requestID = "request_id"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(["segments", "neighborhood", "horizons", "targets", "request_id"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        segments = try container.decodeUnlessNull([String].self, forKey: .segments)
        neighborhood = try container.decodeUnlessNull(String.self, forKey: .neighborhood)
        horizons = try container.decodeUnlessNull([Int].self, forKey: .horizons)
        targets = try container.decodeUnlessNull([String].self, forKey: .targets)
        requestID = try container.decodeUnlessNull(String.self, forKey: .requestID)
    }
}

/// Checks what a caller asked for against the city, the served horizons and the batch limit.
public struct RequestValidator: Sendable {
    public let catalog: SegmentCatalog
    public let maxSegments: Int
    public static let horizons = ForecastHorizons.standard
    public static let maxRequestIDLength = 128

    public init(catalog: SegmentCatalog, maxSegments: Int) {
        self.catalog = catalog
        self.maxSegments = maxSegments
    }

    public func validate(_ body: ForecastRequestBody) throws -> ForecastQuery {
        let segments: [String]
        switch (body.segments, body.neighborhood) {
        case (.some, .some):
            throw ServiceError.badRequest("give either 'segments' or 'neighborhood', not both")
        case (nil, nil):
            throw ServiceError.badRequest("give 'segments' (a list of segment ids) or 'neighborhood'")
        case (let list?, nil):
            guard !list.isEmpty else {
                throw ServiceError.badRequest("'segments' is empty; name at least one segment", code: "empty_batch")
            }
            guard list.count <= maxSegments else {
                throw ServiceError.badRequest(
                    "\(list.count) segments in one request; the limit is \(maxSegments) (CABLECAR_FORECAST_MAX_SEGMENTS)",
                    code: "batch_too_large")
            }
            var seen = Set<String>()
            segments = list.filter { seen.insert($0).inserted }
            if let unknown = segments.first(where: { catalog.neighborhoodOf[$0] == nil }) {
                throw ServiceError.badRequest("unknown segment '\(unknown.prefix(100))'", code: "unknown_segment")
            }
        case (nil, let name?):
            guard let list = catalog.segmentsOf[name] else {
                throw ServiceError.badRequest("unknown neighborhood '\(name.prefix(100))'", code: "unknown_neighborhood")
            }
            guard list.count <= maxSegments else {
                throw ServiceError.badRequest(
                    "neighborhood '\(name)' has \(list.count) segments; the limit is \(maxSegments)", code: "batch_too_large")
            }
            segments = list
        }
        return ForecastQuery(
            requestID: try Self.requestID(body.requestID), segments: segments, horizons: try Self.horizons(body.horizons),
            targets: try Self.targets(body.targets))
    }

    public static func requestID(_ given: String?) throws -> String {
        guard let given else { return UUID().uuidString.lowercased() }
        guard !given.isEmpty, given.count <= maxRequestIDLength else {
            throw ServiceError.badRequest("'request_id' must be 1 to \(maxRequestIDLength) characters")
        }
        return given
    }

    public static func horizons(_ given: [Int]?) throws -> [Int] {
        guard let given else { return horizons }
        guard !given.isEmpty else {
            throw ServiceError.badRequest("'horizons' is empty; leave it out for \(horizons)", code: "unknown_horizon")
        }
        guard given.count <= 16 else { throw ServiceError.badRequest("at most 16 horizons per request", code: "unknown_horizon") }
        if let unknown = given.first(where: { !horizons.contains($0) }) {
            throw ServiceError.badRequest("horizon \(unknown) is not served; choose from \(horizons) (minutes)", code: "unknown_horizon")
        }
        var seen = Set<Int>()
        return given.filter { seen.insert($0).inserted }
    }

    public static func targets(_ given: [String]?) throws -> [ForecastTarget] {
        guard let given else { return [.speed, .flow] }
        guard !given.isEmpty else { throw ServiceError.badRequest("'targets' is empty; leave it out for both", code: "unknown_target") }
        guard given.count <= 16 else { throw ServiceError.badRequest("at most 16 targets per request", code: "unknown_target") }
        var result: [ForecastTarget] = []
        for name in given {
            guard let target = ForecastTarget(rawValue: name) ?? (name == "speed" ? .speed : name == "flow" ? .flow : nil) else {
                throw ServiceError.badRequest(
                    "unknown target '\(name.prefix(100))'; choose from speed_kmh, flow_veh_h", code: "unknown_target")
            }
            if !result.contains(target) { result.append(target) }
        }
        return result
    }

    /// A comma-separated query parameter as integers (GET /v1/forecasts/{segment}?horizons=15,30).
    public static func integers(_ text: String?, name: String) throws -> [Int]? {
        guard let text else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Int] = []
        for part in parts {
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ServiceError.badRequest(
                    "'\(name)' must be comma-separated integers, got '\(text.prefix(100))'", code: "unknown_horizon")
            }
            values.append(value)
        }
        return values
    }
}
