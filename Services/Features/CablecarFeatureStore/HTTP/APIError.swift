import CablecarService
import Hummingbird

/// The feature API answers errors in the one shape of Cablecar's HTTP APIs (`ServiceError`:
/// `{"error": ..., "code": ..., "unknown": [...]}`); this spelling keeps the handlers short.
package typealias APIError = ServiceError

extension ServiceError {
    init(_ status: Int, _ code: String, _ message: String, unknown: [String]? = nil) {
        self.init(HTTPResponse.Status(code: status), code: code, message, unknown: unknown)
    }
}
