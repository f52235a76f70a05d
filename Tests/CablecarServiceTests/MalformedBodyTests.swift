import CablecarService
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A body whose framing the HTTP parser refuses while a route reads it (a chunk size that is not
/// hexadecimal, or too large for any integer; more trailer bytes than a header may have) is the
/// client's mistake: 400 `malformed_body` (or the connection closed by the parser), whether the route
/// decodes JSON or reads the body itself, never a 5xx.
/// A probe found forecast serving answering 500 `internal` and the feature store 503
/// `store_unavailable`, which reads as an outage.
@Suite("Malformed request bodies")
struct MalformedBodyTests {
    struct Payload: Decodable { var value: Int }

    @Test(arguments: [
        "ZZZ\r\n{}\r\n0\r\n\r\n",
        "FFFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
        "-1\r\n{}\r\n0\r\n\r\n",
        "2\r\n{}\r\n0\r\n" + String(repeating: "X-Trailer: padding-padding-padding\r\n", count: 4_000) + "\r\n",
    ])
    func aBodyTheParserRefusesIs400(chunks: String) async throws {
        let router = Router()
        router.add(middleware: UnhandledErrorMiddleware(logger: TestStack.logger))
        router.post("decode") { request, _ -> String in
            let payload = try await JSONRequest.decode(Payload.self, from: request, limit: 1 << 16)
            return "\(payload.value)"
        }
        router.post("raw") { request, _ -> String in
            String(buffer: try await request.body.collect(upTo: 1 << 16))
        }
        let application = Application(
            router: router, server: .cablecarHTTP1(idleTimeout: .seconds(30), requestReadTimeout: .seconds(10)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let port = try #require(client.port)
            var answered = 0
            for path in ["/decode", "/raw"] {
                // The head first: the route is reading the body when the bad framing arrives.
                let connection = try SlowClient(
                    port: port, partialRequest: "POST \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                try await Task.sleep(for: .milliseconds(300))
                try connection.sendAll(chunks)
                let answer = try await connection.received(within: 5)
                // Framing broken this way may also end the connection before an answer is written
                // (the parser stops reading it): never a 5xx.
                #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 400"), "\(path): \(answer.prefix(300))")
                #expect(answer.isEmpty || answer.contains("malformed_body"), "\(path): \(answer.prefix(300))")
                answered += answer.isEmpty ? 0 : 1
            }
            print("\(chunks.prefix(24).debugDescription): \(answered) of 2 routes answered, the rest closed the connection")
        }
    }
}
