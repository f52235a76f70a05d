import CablecarRegistry
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The CLI's view of the registry API (served by cablecar-trainer): base URL from
/// CABLECAR_TRAINER_URL, admin token from CABLECAR_REGISTRY_ADMIN_TOKEN.
struct RegistryClient {
    static let urlVariable = "CABLECAR_TRAINER_URL"
    static let defaultURL = "http://127.0.0.1:8083"

    let baseURL: String
    let token: String?
    let actor: String

    init(url: String?) {
        let environment = ProcessInfo.processInfo.environment
        var base = url ?? environment[Self.urlVariable] ?? Self.defaultURL
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        token = environment[RegistryHTTPConfiguration.adminTokenVariable].flatMap { $0.isEmpty ? nil : $0 }
        actor = environment["USER"].map { "cli:\($0)" } ?? "cli"
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send("GET", path, body: nil, as: type)
    }

    func post<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type) async throws -> T {
        try await send("POST", path, body: try JSONEncoder().encode(body), as: type)
    }

    private func send<T: Decodable>(_ method: String, _ path: String, body: Data?, as type: T.Type) async throws -> T {
        guard let url = URL(string: baseURL + path) else { throw ValidationErrorText("not a URL: \(baseURL + path)") }
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
            (data, response) = try await HTTPGet.send(request)
        } catch {
            throw ValidationErrorText(
                "cannot reach the registry at \(baseURL) (\(error.localizedDescription)); is cablecar-trainer running? "
                    + "Set \(Self.urlVariable) to its address.")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let problem = try? JSONDecoder().decode(ErrorBody.self, from: data)
            var message = "registry answered \(status): \(problem?.text ?? String(decoding: data.prefix(500), as: UTF8.self))"
            if status == 401 || status == 403, token == nil, !message.contains(RegistryHTTPConfiguration.adminTokenVariable) {
                message += " (set \(RegistryHTTPConfiguration.adminTokenVariable) for admin actions)"
            }
            throw ValidationErrorText(message)
        }
        do {
            let decoder = JSONDecoder()
            // The API spells non-finite metric values as strings (a diverged loss is NaN).
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            return try decoder.decode(type, from: data)
        } catch {
            throw ValidationErrorText("unexpected answer from \(path): \(error)")
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
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"))
            ?? segment
    }
}
