import CablecarDomain
import CablecarRegistryAPI
import CablecarService
import CablecarTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

/// Hostile input to the registry API: strings Postgres refuses, encoded paths, out-of-range
/// versions, wrong methods, and attempts to alter a registered model.
@Suite("Registry hardening")
struct RegistryHardeningTests {
    static func app(_ h: RegistryHarness, token: String? = "adm1n") -> some ApplicationProtocol {
        let router = Router(options: MethodNotAllowed.routerOptions)
        RegistryRoutes.add(
            to: router, store: h.store, configuration: RegistryHTTPConfiguration(adminToken: token), logger: TestStack.logger)
        MethodNotAllowed.install(on: router)
        return Application(router: router)
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static let admin: HTTPFields = [.authorization: "Bearer adm1n"]

    @Test func stringsPostgresWouldRefuseAreA400NeverA500() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "m")
            let nul = "bad\u{0}name"
            let huge = String(repeating: "x", count: 100_000)
            let long = String(repeating: "n", count: 300)
            let m = "/api/2.0/mlflow"
            let cases: [(String, HTTPRequest.Method, [String: Any])] = [
                ("\(m)/experiments/create", .post, ["name": nul]),
                ("\(m)/experiments/create", .post, ["name": long]),
                ("\(m)/experiments/create", .post, ["name": "ok-\(UUID())", "tags": [["key": "k", "value": nul]]]),
                ("\(m)/experiments/create", .post, ["name": "ok-\(UUID())", "tags": [["key": nul, "value": "v"]]]),
                ("\(m)/experiments/create", .post, ["name": "ok-\(UUID())", "tags": [["key": "k", "value": huge]]]),
                ("\(m)/runs/log-parameter", .post, ["run_id": run.id, "key": nul, "value": "v"]),
                ("\(m)/runs/log-parameter", .post, ["run_id": run.id, "key": "k", "value": nul]),
                ("\(m)/runs/log-parameter", .post, ["run_id": run.id, "key": "k2", "value": huge]),
                ("\(m)/runs/set-tag", .post, ["run_id": run.id, "key": "k", "value": nul]),
                ("\(m)/runs/set-tag", .post, ["run_id": run.id, "key": long, "value": "v"]),
                ("\(m)/runs/log-metric", .post, ["run_id": run.id, "key": nul, "value": 1.0, "timestamp": 1]),
                ("\(m)/runs/log-metric", .post, ["run_id": run.id, "key": "k", "value": 1.0, "timestamp": 1e300]),
                ("\(m)/runs/log-metric", .post, ["run_id": run.id, "key": "k", "value": 1.0, "step": "9223372036854775808"]),
                ("\(m)/runs/log-batch", .post, ["run_id": run.id, "params": [["key": "p", "value": nul]]]),
                ("\(m)/runs/update", .post, ["run_id": run.id, "run_name": nul]),
                ("\(m)/registered-models/create", .post, ["name": nul]),
                ("\(m)/registered-models/create", .post, ["name": long]),
                ("\(m)/registered-models/create", .post, ["name": "ok-\(UUID())", "description": huge]),
                ("\(m)/registered-models/set-tag", .post, ["name": "m", "key": "k", "value": nul]),
                ("\(m)/model-versions/create", .post, ["name": "m", "source": nul, "run_id": run.id]),
                ("\(m)/runs/search", .post, ["experiment_ids": ["9223372036854775808"]]),
                ("\(m)/runs/search", .post, ["experiment_ids": [nul]]),
            ]
            let requests = try cases.map { (uri, method, object) in
                (uri, method, try Self.body(object), object.keys.sorted().joined(separator: ","))
            }
            try await Self.app(h).test(.router) { client in
                for (uri, method, body, keys) in requests {
                    try await client.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body) {
                        response in
                        #expect((400..<500).contains(Int(response.status.code)), "\(uri) \(keys): \(response.status)")
                        let text = String(buffer: response.body)
                        #expect(text.contains("error_code"), "MLflow's shape on MLflow routes: \(text.prefix(300))")
                    }
                }
                // Run searches go to SQL now: what a filter carries must not reach Postgres as an error.
                let filters = [
                    "metrics.mae < 1e400", "metrics.mae < nan", "metrics.mae > -inf", "tags.x IN ()", "tags.x NOT IN ()",
                    "params.`a\u{0}b` = 'x'", "tags.t = '\u{0}'", "tags.t LIKE '%\u{0}%'",
                    "attributes.start_time > 99999999999999999999999",
                    "attributes.end_time < -1e308", "attributes.status ILIKE 'É%'", "tags.t = '\u{FFFF}\u{10FFFF}'",
                    "tags.\"mlflow.runName\" NOT IN ('a', 'b')", "metrics.`\(String(repeating: "k", count: 300))` = 1",
                ]
                for filter in filters {
                    for order in [[], ["metrics.mae DESC"], ["params.p ASC"]] {
                        let body = try Self.body([
                            "experiment_ids": [String(run.experimentID)], "filter": filter, "order_by": order,
                            "page_token": PageToken.token(99_999_999),
                        ])
                        try await client.execute(
                            uri: "\(m)/runs/search", method: .post, headers: [.contentType: "application/json"], body: body
                        ) {
                            response in
                            #expect(
                                response.status.code < 500,
                                "filter \(filter) order \(order): \(response.status) \(String(buffer: response.body).prefix(300))")
                        }
                    }
                }
                for uri in [
                    "\(m)/experiments/get-by-name?experiment_name=%FF%FE", "\(m)/experiments/get-by-name?experiment_name=a%00b",
                    "\(m)/registered-models/get?name=%C3", "\(m)/runs/get?run_id=\(String(repeating: "a", count: 5000))",
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect((400..<500).contains(Int(response.status.code)), "\(uri): \(response.status)")
                    }
                }
            }
            #expect(try await h.count("SELECT count(*)::int FROM registry_experiments WHERE name LIKE 'ok-%'") == 0)
        }
    }

    /// Lengths are counted as the database counts them (code points): a name of accented letters
    /// within the limit in letters but not in code points is refused by the registry with its own
    /// message, not by a table's constraint.
    @Test func lengthLimitsCountCodePointsLikeTheDatabase() async throws {
        try await RegistryHarness.with { h in
            func accented(_ letters: Int) -> String { String(repeating: "e\u{301}", count: letters) }
            await #expect(throws: RegistryError.self) { _ = try await h.store.createExperiment(name: accented(300)) }
            await #expect(throws: RegistryError.self) { _ = try await h.store.createRegisteredModel(name: accented(200)) }
            let run = try await h.trainedRun()
            await #expect(throws: RegistryError.self) { try await h.store.setTags(runID: run.id, [accented(200): "v"]) }
            await #expect(throws: RegistryError.self) {
                _ = try await h.store.putArtifact(runID: run.id, path: accented(600), bytes: [1])
            }
            // At the limit in code points, the same names are stored.
            _ = try await h.store.createExperiment(name: accented(250))
            _ = try await h.store.createRegisteredModel(name: accented(128))
        }
    }

    @Test func pathParametersAreDecodedAndOutOfRangeVersionsAre404() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "my model")
            _ = try await h.store.createModelVersion(modelName: "my model", runID: run.id, artifactPath: "model")
            try await Self.app(h).test(.router) { client in
                try await client.execute(uri: "/api/v1/models/my%20model", method: .get) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                }
                try await client.execute(uri: "/api/v1/models/my%20model/versions/1", method: .get) { response in
                    #expect(response.status == .ok)
                }
                for version in ["2", "2147483648", "99999999999", "99999999999999999999999999"] {
                    try await client.execute(uri: "/api/v1/models/my%20model/versions/\(version)", method: .get) { response in
                        #expect(response.status == .notFound, "version \(version)")
                        let shape = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                        #expect(shape?["error"] is String && shape?["code"] is String, "the one error shape on /api/v1")
                    }
                    try await client.execute(uri: "/api/2.0/mlflow/model-versions/get?name=my+model&version=\(version)", method: .get) {
                        response in
                        #expect(response.status == .notFound, "mlflow version \(version)")
                    }
                }
                for bad in ["0", "-1", "abc", "1.5"] {
                    try await client.execute(uri: "/api/v1/models/my%20model/versions/\(bad)", method: .get) { response in
                        #expect(response.status == .badRequest, "version \(bad)")
                    }
                }
                try await client.execute(uri: "/api/v1/models/a%00b", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/v1/models/%FF", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/v1/runs/\(run.id)/metrics/no%20such", method: .get) { response in
                    #expect(response.status == .ok)
                }
                // Every search checks max_results and page_token before answering (the model
                // searches are GETs with a query, as the stock client sends them).
                let searches: [(path: String, method: HTTPRequest.Method, tooMany: String)] = [
                    ("/api/2.0/mlflow/registered-models/search", .get, "1001"), ("/api/2.0/mlflow/model-versions/search", .get, "200001"),
                    ("/api/2.0/mlflow/experiments/search", .post, "50001"), ("/api/2.0/mlflow/runs/search", .post, "50001"),
                ]
                for search in searches {
                    var bodies = ["{\"page_token\": \"bm90IGEgbnVtYmVy\"}"]
                    for bad in ["-1", "0", search.tooMany, "1e30", "\"ten\""] { bodies.append("{\"max_results\": \(bad)}") }
                    for body in bodies {
                        let query = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]).map {
                            "\($0.key)=\($0.value)"
                        }
                        let uri = search.method == .get ? "\(search.path)?\(query.joined(separator: "&"))" : search.path
                        try await client.execute(
                            uri: uri, method: search.method, headers: [.contentType: "application/json"],
                            body: search.method == .get ? nil : ByteBuffer(string: body)
                        ) { response in
                            #expect(response.status == .badRequest, "\(search.path) \(body): \(String(buffer: response.body))")
                        }
                    }
                }
            }
        }
    }

    @Test func wrongMethodsAre405WithAllow() async throws {
        try await RegistryHarness.with { h in
            try await Self.app(h).test(.router) { client in
                try await client.execute(uri: "/api/v1/models", method: .delete) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow]?.contains("GET") == true)
                }
                // The path's own methods, not those of the catch-all that answers paths the registry
                // does not serve (MLflowUnsupportedRoutes).
                for (path, method) in [
                    ("/api/2.0/mlflow/experiments/create", HTTPRequest.Method.get), ("/api/2.0/mlflow/runs/delete", .delete),
                ] {
                    try await client.execute(uri: path, method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                        #expect(response.headers[.allow] == "POST", "\(method) \(path)")
                    }
                }
                try await client.execute(uri: "/api/v1/no-such-route", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("no route"))
                }
                // Any method, not only the common ones: TRACE, and one no standard defines.
                for method in [HTTPRequest.Method.trace, .connect, HTTPRequest.Method("BREW")].compactMap({ $0 }) {
                    try await client.execute(uri: "/api/v1/models", method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method)")
                        #expect(response.headers[.allow]?.contains("GET") == true)
                        #expect(String(buffer: response.body).contains("method_not_allowed"))
                    }
                }
                try await client.execute(uri: "/api/v1/models", method: .head) { response in
                    #expect(response.status == .ok, "HEAD answers where GET does")
                }
            }
        }
    }

    @Test func registeredArtifactsAreImmutableAndAliasesNeedTheAdminToken() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "immutable")
            let run = try await h.store.createRun(experimentID: experiment.id, name: "fit")
            let root = "/api/2.0/mlflow-artifacts/artifacts/\(experiment.id)/\(run.id)/artifacts"
            let original = ByteBuffer(string: "original weights")
            try await Self.app(h).test(.router) { client in
                // Open for a run without registered versions (MLflow tracking).
                try await client.execute(uri: "\(root)/model/weights.bin", method: .put, body: original) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "\(root)/model/weights.bin", method: .put, body: ByteBuffer(string: "second draft")) {
                    response in
                    #expect(response.status == .ok, "overwriting is allowed before registration")
                }
                try await client.execute(uri: "\(root)/model/weights.bin", method: .put, body: original) { _ in }
                try await h.store.ensureRegisteredModel(name: "frozen")
                _ = try await h.store.createModelVersion(modelName: "frozen", runID: run.id, artifactPath: "model")

                let tampered = ByteBuffer(string: "tampered weights")
                try await client.execute(uri: "\(root)/model/weights.bin", method: .put, body: tampered) { response in
                    #expect(response.status == .unauthorized, "a registered run's artifacts need the token")
                }
                for path in ["model/weights.bin", "model/extra.bin", "model/sub/dir.bin"] {
                    try await client.execute(uri: "\(root)/\(path)", method: .put, headers: Self.admin, body: tampered) { response in
                        #expect(response.status == .badRequest, "\(path) is part of a registered version: immutable even for the admin")
                        #expect(String(buffer: response.body).contains("immutable"))
                    }
                }
                try await client.execute(uri: "\(root)/notes.txt", method: .put, headers: Self.admin, body: tampered) { response in
                    #expect(response.status == .ok, "a new file outside the registered path, with the token")
                }
                try await client.execute(uri: "\(root)/notes.txt", method: .put, headers: Self.admin, body: original) { response in
                    #expect(response.status == .badRequest, "no file of a registered run is ever replaced")
                }
                try await client.execute(uri: "\(root)/model/weights.bin", method: .get) { response in
                    #expect(String(buffer: response.body) == "original weights")
                }
                // A version of the single file: its loads are verified against the registered digest.
                let file = try await h.store.createModelVersion(modelName: "frozen", runID: run.id, artifactPath: "model/weights.bin")
                #expect(try await h.store.artifact(of: file) == Array("original weights".utf8))

                let alias = try Self.body(["name": "frozen", "alias": "champion", "version": "1"])
                try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias", method: .post, body: alias) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias", method: .post, headers: Self.admin, body: alias) {
                    response in
                    #expect(response.status == .ok)
                }
                let remove = try Self.body(["name": "frozen", "alias": "champion"])
                try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias", method: .delete, body: remove) { response in
                    #expect(response.status == .unauthorized)
                }
                #expect(try await h.store.version(modelName: "frozen", alias: "champion")?.version == 1)
            }
            // A digest that no longer matches what was registered is never served.
            try await h.database.query(
                "UPDATE registry_model_versions SET artifact_sha256 = repeat('0', 64) WHERE model_name = 'frozen'", logger: TestStack.logger
            )
            let changed = try #require(try await h.store.version(modelName: "frozen", version: 2))
            let refusal = await #expect(throws: RegistryError.self) { try await h.store.artifact(of: changed) }
            #expect(refusal?.code == .invalidState)
        }
    }

    @Test func theAdminTokenIsNeverPrinted() {
        let secret = "tok-\(UUID().uuidString)"
        let http = RegistryHTTPConfiguration(adminToken: secret)
        let configuration = RegistryConfiguration(adminToken: secret)
        let admin = AdminAuthorization(token: secret)
        for text in [
            "\(http)", String(reflecting: http), "\(configuration)", String(reflecting: configuration), "\(admin)",
            String(reflecting: admin),
            "\([http])", "\(Optional(http) as Any)",
        ] {
            #expect(!text.contains(secret), "\(text)")
        }
        var dumped = ""
        dump(http, to: &dumped)
        dump(configuration, to: &dumped)
        dump(admin, to: &dumped)
        #expect(!dumped.contains(secret))
        #expect("\(http)".contains("***"))
    }
}
