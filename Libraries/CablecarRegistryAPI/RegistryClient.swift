import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a registry call failed with, in words that say what to do.
public struct RegistryClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A client of the registry's native API (served by cablecar-trainer), for tools that must not
/// pull in the store, the broker or the HTTP server: base URL from CABLECAR_TRAINER_URL, admin
/// token from CABLECAR_REGISTRY_ADMIN_TOKEN.
public struct RegistryClient: Sendable {
    public static let urlVariable = "CABLECAR_TRAINER_URL"
    public static let adminTokenVariable = "CABLECAR_REGISTRY_ADMIN_TOKEN"
    public static let defaultURL = "http://127.0.0.1:8083"

    public let baseURL: String
    public let token: String?
    public let actor: String

    /// `url` overrides CABLECAR_TRAINER_URL; `environment` is the process's unless a test passes one.
    public init(url: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var base = url ?? environment[Self.urlVariable] ?? Self.defaultURL
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        token = environment[Self.adminTokenVariable].flatMap { $0.isEmpty ? nil : $0 }
        actor = environment["USER"].map { "cli:\($0)" } ?? "cli"
    }

    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send("GET", path, body: nil, as: type)
    }

    public func post<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type) async throws -> T {
        try await send("POST", path, body: try JSONEncoder().encode(body), as: type)
    }

    private func send<T: Decodable>(_ method: String, _ path: String, body: Data?, as type: T.Type) async throws -> T {
        guard let url = URL(string: baseURL + path) else { throw RegistryClientError("not a URL: \(baseURL + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.setValue(actor, forHTTPHeaderField: "X-Cablecar-Actor")
        let data: Data
        let response: URLResponse
        do {
            // Detached and never cancelled: swift-corelibs-foundation can crash a process whose
            // task is cancelled while its response arrives; the timeout ends an abandoned request.
            (data, response) = try await Task.detached { try await URLSession.shared.data(for: request) }.value
        } catch {
            throw RegistryClientError(
                "cannot reach the registry at \(baseURL) (\(error.localizedDescription)); is cablecar-trainer running? "
                    + "Set \(Self.urlVariable) to its address.")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let problem = try? JSONDecoder().decode(ErrorBody.self, from: data)
            var message = "registry answered \(status): \(problem?.text ?? String(decoding: data.prefix(500), as: UTF8.self))"
            if status == 401 || status == 403, token == nil, !message.contains(Self.adminTokenVariable) {
                message += " (set \(Self.adminTokenVariable) for admin actions)"
            }
            throw RegistryClientError(message)
        }
        do {
            let decoder = JSONDecoder()
            // The API spells non-finite metric values as strings (a diverged loss is NaN).
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            return try decoder.decode(type, from: data)
        } catch {
            throw RegistryClientError("unexpected answer from \(path): \(error)")
        }
    }

    /// The native routes' shape (`error`, `code`: docs/schemas.md "HTTP errors"), or MLflow's
    /// (`error_code`, `message`).
    struct ErrorBody: Decodable {
        let error: String?
        let code: String?
        let errorCode: String?
        let message: String?

        enum CodingKeys: String, CodingKey {
            case error, code, message
            case errorCode = "error_code"
        }

        var text: String? { error ?? message }
    }

    /// Percent-encodes all but RFC 3986's unreserved characters: safe in a path segment and
    /// in a query value (where "+" would otherwise read as a space).
    public static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"))
            ?? segment
    }
}
