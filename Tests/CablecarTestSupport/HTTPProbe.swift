import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Minimal HTTP GET for tests that talk to a real service process.
public enum HTTPProbe {
    public struct Response: Sendable {
        public let status: Int
        public let body: String
    }

    public static func get(_ url: String, timeout: TimeInterval = 5) async throws -> Response {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target)
        request.timeoutInterval = timeout
        let (data, response) = try await URLSession.shared.data(for: request)
        return Response(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    /// POSTs a JSON body.
    public static func post(_ url: String, json: String, timeout: TimeInterval = 10) async throws -> Response {
        guard let target = URL(string: url) else { throw URLError(.badURL) }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(json.utf8)
        request.timeoutInterval = timeout
        let (data, response) = try await URLSession.shared.data(for: request)
        return Response(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    /// Polls `url` until it answers `status` or `timeout` of patient time (`PatientClock`)
    /// passes; returns the last answer.
    public static func waitFor(_ url: String, status: Int, timeout: Duration) async -> Response? {
        var clock = PatientClock()
        var last: Response?
        while clock.charged < timeout {
            last = try? await get(url, timeout: 2)
            if last?.status == status { return last }
            do { try await clock.pause(.milliseconds(200)) } catch { return last }
        }
        return last
    }
}
