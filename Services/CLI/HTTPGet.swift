import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The CLI's HTTP needs: GET and POST JSON to the local services' APIs.
enum HTTPGet {
    static func fetch(_ url: String, timeout: TimeInterval = 5) async throws -> (status: Int, body: Data) {
        guard let target = URL(string: url) else { throw ValidationErrorText("not a URL: \(url)") }
        var request = URLRequest(url: target)
        request.timeoutInterval = timeout
        let (data, response) = try await send(request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Sends a request that is never cancelled: swift-corelibs-foundation can crash the process
    /// ("Trying to access a behaviour for a task that in not in the registry") when a task is
    /// cancelled while its response arrives, which is what stopping the main job's load
    /// generator did once. Every request has a timeout, so an abandoned one ends by itself.
    static func send(_ request: URLRequest) async throws -> (Data, URLResponse) {
        try await Task.detached { try await URLSession.shared.data(for: request) }.value
    }

    static func post(_ url: String, json: Data, headers: [String: String] = [:], timeout: TimeInterval = 30) async throws
        -> (status: Int, body: Data)
    {
        guard let target = URL(string: url) else { throw ValidationErrorText("not a URL: \(url)") }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = json
        request.timeoutInterval = timeout
        let (data, response) = try await send(request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
