import Foundation
import Hummingbird

/// Serves a service's OpenAPI 3.1 document (`Resources/openapi.json` of its module's bundle) at
/// `/openapi.json`, for clients, and for the fuzz tests that drive every documented operation.
public enum OpenAPIRoute {
    /// The document's bytes, or a JSON error naming what is missing from the build.
    public static func document(in bundle: Bundle) -> [UInt8] {
        guard let url = bundle.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { return Array(#"{"error":"the OpenAPI document is missing from this build"}"#.utf8) }
        return Array(data)
    }

    public static func add<Context: RequestContext>(to router: Router<Context>, document: [UInt8]) {
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
