import Foundation

/// The service's OpenAPI 3.1 document (Services/Forecast/CablecarForecast/Resources/openapi.json,
/// bundled as a resource), served at /openapi.json.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { return Array(#"{"error":"the OpenAPI document is missing from this build"}"#.utf8) }
        return Array(data)
    }()
}
