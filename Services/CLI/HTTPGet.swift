import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's one HTTP need: GET from the local services' APIs.
enum HTTPGet {
    static func fetch(_ url: String, timeout: TimeInterval = 5) async throws -> (status: Int, body: Data) {
        guard let target = URL(string: url) else { throw ValidationErrorText("not a URL: \(url)") }
        var request = URLRequest(url: target)
        request.timeoutInterval = timeout
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
