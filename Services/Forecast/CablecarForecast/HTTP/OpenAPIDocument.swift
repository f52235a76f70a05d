import CablecarService
import Foundation

/// The service's OpenAPI 3.1 document (Services/Forecast/CablecarForecast/Resources/openapi.json,
/// bundled as a resource), served at /openapi.json.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = OpenAPIRoute.document(in: .module)
}
