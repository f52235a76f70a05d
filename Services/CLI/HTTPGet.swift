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
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
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
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
