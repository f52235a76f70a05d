import Foundation

/// How far a service's consumer groups are behind their topics, as the service itself reports it
/// (`GET /api/v1/stream`: the broker's end offsets minus the group's committed offsets). The CLI
/// asks the services rather than the broker: they own their groups and topic names.
struct StreamLagProbe {
    let service: String
    let port: Int

    private struct Report: Decodable {
        var lag: Int64
    }

    /// Messages published and not yet handled; nil while the service cannot say (starting, or
    /// the broker not answering it), which callers treat as "not caught up".
    func lag() async -> Int64? {
        guard let (status, body) = try? await HTTPGet.fetch("http://127.0.0.1:\(port)/api/v1/stream", timeout: 30), status == 200
        else { return nil }
        return try? JSONDecoder().decode(Report.self, from: body).lag
    }
}
