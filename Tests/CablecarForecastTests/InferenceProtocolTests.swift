import CablecarDomain
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarForecast

/// The Open Inference Protocol (KServe V2) endpoints and the OpenAPI document: every response
/// here is checked against the document the service serves.
@Suite("Open Inference Protocol and OpenAPI")
struct InferenceProtocolTests {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]
    static let schema = try! SchemaCheck(documentBytes: OpenAPIDocument.bytes)

    static func expectValid(_ response: TestResponse, _ path: String, _ method: String = "get") {
        let problems = schema.problems(response.body.readableBytesView, path: path, method: method, status: Int(response.status.code))
        #expect(problems.isEmpty, "\(method) \(path) \(response.status.code): \(problems.prefix(5))")
    }

    @Test func servedDocumentIsTheRepositorysAndCoversEveryRoute() throws {
        let file = TestStack.repositoryRoot.appendingPathComponent("Services/Forecast/CablecarForecast/Resources/openapi.json")
        #expect(Array(try Data(contentsOf: file)) == OpenAPIDocument.bytes)
        let document = try JSONValue.parse(OpenAPIDocument.bytes)
        #expect(document["openapi"] == .string("3.1.0"))
        for path in [
            "/v1/forecasts", "/v1/forecasts/{segment}", "/v1/models", "/v1/admin/rollout", "/openapi.json", "/v2/health/live",
            "/v2/health/ready", "/v2", "/v2/models/{name}", "/v2/models/{name}/ready", "/v2/models/{name}/infer",
            "/v2/models/{name}/versions/{version}", "/v2/models/{name}/versions/{version}/ready",
            "/v2/models/{name}/versions/{version}/infer",
        ] {
            #expect(document["paths"]?[path] != nil, "\(path) is not documented")
        }
    }

    @Test func inferenceEndpointsFollowTheProtocol() async throws {
        try await ForecastHarness.with { h in
            try await h.register(RoutingTests.v1)
            await h.manager.refreshProduction()
            let name = ForecastHarness.modelName
            try await h.application(h.components()).test(.router) { client in
                for path in ["/v2/health/live", "/v2/health/ready", "/v2"] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok)
                        Self.expectValid(response, path)
                    }
                }
                try await client.execute(uri: "/v2/models/\(name)", method: .get) { response in
                    #expect(response.status == .ok)
                    Self.expectValid(response, "/v2/models/{name}")
                    let body = try JSONValue.parse(response.body.readableBytesView)
                    #expect(body["versions"] == .array([.string("1")]))
                }
                try await client.execute(uri: "/v2/models/\(name)/versions/1/ready", method: .get) { response in
                    #expect(response.status == .ok)
                    Self.expectValid(response, "/v2/models/{name}/versions/{version}/ready")
                }
                for (uri, path) in [
                    ("/v2/models/other", "/v2/models/{name}"),
                    ("/v2/models/\(name)/versions/7/ready", "/v2/models/{name}/versions/{version}/ready"),
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .notFound)
                        Self.expectValid(response, path)
                    }
                }
                let request = """
                    {"id":"req-42","inputs":[{"name":"segment_id","shape":[2],"datatype":"BYTES","data":["seg-a-1","seg-b-1"]},
                    {"name":"horizon_min","shape":[2],"datatype":"INT32","data":[15,60]}]}
                    """
                for (uri, path) in [
                    ("/v2/models/\(name)/infer", "/v2/models/{name}/infer"),
                    ("/v2/models/\(name)/versions/1/infer", "/v2/models/{name}/versions/{version}/infer"),
                ] {
                    try await client.execute(uri: uri, method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: request)) {
                        response in
                        #expect(response.status == .ok)
                        Self.expectValid(response, path, "post")
                        let answer = try JSONDecoder().decode(InferenceResponse.self, from: Data(response.body.readableBytesView))
                        #expect(answer.id == "req-42")
                        #expect(answer.modelName == name)
                        #expect(answer.modelVersion == "1")
                        let speed = try #require(answer.outputs.first { $0.name == "speed_kmh" })
                        #expect(speed.shape == [2, 2])
                        #expect(speed.datatype == "FP64")
                        #expect(speed.data.count == 4)
                        #expect(speed.data.allSatisfy { if case .number = $0 { return true } else { return false } })
                        #expect(Set(answer.outputs.map(\.name)) == ["speed_kmh", "flow_veh_h", "fallback", "model_version"])
                    }
                }
                let bad = [
                    #"{"inputs":[{"name":"segment_id","shape":[1],"datatype":"FP32","data":[1.0]}]}"#,
                    #"{"inputs":[{"name":"segment_id","shape":[3],"datatype":"BYTES","data":["seg-a-1"]}]}"#,
                    #"{"inputs":[{"name":"segment_id","shape":[1],"datatype":"BYTES","data":["seg-a-1"]}],"outputs":[{"name":"rain"}]}"#,
                    #"{"inputs":[{"name":"segment_id","shape":[1],"datatype":"BYTES","data":["nope"]}]}"#,
                    #"{"inputs":[{"name":"segment_id","shape":[1],"datatype":"BYTES","data":["seg-a-1"]},{"name":"horizon_min","shape":[1],"datatype":"INT64","data":[15.5]}]}"#,
                    #"{"inputs":[{"name":"segment_id","shape":[-1],"datatype":"BYTES","data":[]}]}"#,
                    #"{"inputs":[]}"#, #"{"inputs":"x"}"#, "{",
                ]
                for body in bad {
                    try await client.execute(
                        uri: "/v2/models/\(name)/infer", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: body)
                    ) { response in
                        #expect(response.status == .badRequest, "\(body)")
                        Self.expectValid(response, "/v2/models/{name}/infer", "post")
                        let error = try JSONValue.parse(response.body.readableBytesView)
                        #expect(error["error"]?.string?.isEmpty == false)
                    }
                }
                // The forecast API's answers follow the document too.
                try await client.execute(
                    uri: "/v1/forecasts", method: .post, headers: Self.jsonHeaders, body: ByteBuffer(string: #"{"neighborhood":"south"}"#)
                ) { response in
                    #expect(response.status == .ok)
                    Self.expectValid(response, "/v1/forecasts", "post")
                }
                try await client.execute(uri: "/v1/forecasts/seg-a-1", method: .get) { response in
                    Self.expectValid(response, "/v1/forecasts/{segment}")
                }
                try await client.execute(uri: "/v1/models", method: .get) { response in Self.expectValid(response, "/v1/models") }
            }
        }
    }

    @Test func strictJSONValues() throws {
        #expect(try JSONValue.parse(Array("[1, true, null]".utf8)) == .array([.number(1), .bool(true), .null]))
        let tensor = try JSONDecoder().decode([TensorValue].self, from: Data("[1, true, \"a\", [2]]".utf8))
        #expect(tensor == [.number(1), .bool(true), .string("a"), .array([.number(2)])])
    }
}
