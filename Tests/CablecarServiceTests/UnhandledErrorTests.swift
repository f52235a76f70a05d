import CablecarLocalStack
import CablecarPostgres
import CablecarService
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// Errors a route leaves unhandled still get the service's error shape and the right class of
/// status, against a real Postgres: a value the database refuses is the caller's 400, an
/// unreachable database a 503 with an error id, anything else a 500 with an error id.
@Suite("Unhandled errors")
struct UnhandledErrorTests {
    struct Surprise: Error {}

    @Test func everyUnhandledErrorHasAStatusClassAndABody() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let client = Database.client(try DatabaseConfiguration(url: endpoints.databaseURL), logger: TestStack.logger)
        let closedPort = try Network.freePort()
        let unreachable = Database.client(
            try DatabaseConfiguration(url: "postgres://postgres@127.0.0.1:\(closedPort)/none"), logger: TestStack.logger)
        let router = Router(options: MethodNotAllowed.routerOptions)
        router.add(middleware: UnhandledErrorMiddleware(logger: TestStack.logger))
        router.get("echo") { request, _ -> String in
            let name = request.uri.queryParameters["name"].map(String.init) ?? ""
            for try await value in try await client.query("SELECT \(name)::text", logger: TestStack.logger).decode(String.self) {
                return value
            }
            return ""
        }
        router.get("small") { request, _ -> String in
            let number = request.uri.queryParameters["n"].flatMap { Int64($0) } ?? 0
            for try await value in try await client.query("SELECT \(number)::integer", logger: TestStack.logger).decode(Int32.self) {
                return "\(value)"
            }
            return ""
        }
        router.get("down") { _, _ -> String in
            try await unreachable.query("SELECT 1", logger: TestStack.logger).decode(Int.self).reduce(0, +).description
        }
        router.get("surprise") { _, _ -> String in throw Surprise() }
        MethodNotAllowed.install(on: router)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { await unreachable.run() }
            defer { group.cancelAll() }
            try await Application(router: router).test(.router) { http in
                try await http.execute(uri: "/echo?name=ok", method: .get) { #expect(String(buffer: $0.body) == "ok") }
                try await http.execute(uri: "/echo?name=a%00b", method: .get) { response in
                    #expect(response.status == .badRequest, "a NUL reaches Postgres")
                    #expect(String(buffer: response.body).contains("invalid_value"))
                }
                try await http.execute(uri: "/small?n=9999999999", method: .get) { response in
                    #expect(response.status == .badRequest, "integer out of range")
                }
                try await http.execute(uri: "/down", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("error_id"))
                }
                try await http.execute(uri: "/surprise", method: .get) { response in
                    #expect(response.status == .internalServerError)
                    let body = String(buffer: response.body)
                    #expect(body.contains("error_id"))
                    #expect(!body.contains("Surprise"), "the cause is logged, not returned")
                }
            }
        }
    }
}
