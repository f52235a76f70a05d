import CablecarService
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The server every service runs cuts off a request that trickles in (a byte every half second)
/// for longer than the read timeout, in its headers or its body, with an idle timeout far
/// longer; time spent answering does not count against the request.
@Suite("Request read deadline")
struct RequestReadDeadlineTests {
    func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(4))
            return "answered"
        }
        router.post("echo") { request, _ -> String in
            String(buffer: try await request.body.collect(upTo: 1 << 16))
        }
        return Application(
            router: router, server: .cablecarHTTP1(idleTimeout: .seconds(30), requestReadTimeout: .seconds(3)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func tricklingHeadersOrBodiesAreCutOffAndSlowAnswersAreNot() async throws {
        try await application().test(.live) { client in
            let port = try #require(client.port)
            let padding = String(repeating: "a", count: 40)
            let header = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Padding: \(padding)\r\n\r\n"
            let body = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n"
            for (name, prefix, dripped) in [("headers", "", header), ("body", body, padding)] {
                let connection = try SlowClient(port: port, partialRequest: prefix)
                let closedAfter = try await connection.trickle(dripped, every: .milliseconds(500))
                // 40 bytes at 2 a second would take 20 s.
                let seconds = try #require(closedAfter, "a request trickling its \(name) was never cut off")
                print("a request trickling its \(name) was cut off after \(seconds) s")
                #expect(seconds >= 2.5 && seconds < 8, "cut off after \(seconds) s, expected about 3 s")
            }
            // Answering takes 4 s, longer than the read timeout: the answer still arrives, and
            // the connection serves a second request after it.
            let session = URLSession(configuration: .ephemeral)
            for _ in 0..<2 {
                let (data, response) = try await session.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/slow")))
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                #expect(String(decoding: data, as: UTF8.self) == "answered")
            }
            var echo = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/echo")))
            echo.httpMethod = "POST"
            echo.httpBody = Data("whole".utf8)
            let (echoed, _) = try await session.data(for: echo)
            #expect(String(decoding: echoed, as: UTF8.self) == "whole")
        }
    }
}
