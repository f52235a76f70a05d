import CablecarDomain
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarMonitor

/// The dashboard in headless Chromium (Debian's `chromium`, installed by scripts/bootstrap):
/// it loads without console messages, and the rendered DOM shows the neighborhoods and the
/// alert. The screenshot goes to a temporary directory, never into the repository.
@Suite struct DashboardBrowserTests {
    static func chromium() throws -> String {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw HarnessError("chromium is not installed; run scripts/bootstrap")
    }

    @Test func dashboardLoadsInChromiumWithoutConsoleErrors() async throws {
        let browser = try Self.chromium()
        let page = DashboardPage.render(
            hourly: DashboardPageTests.rows(), daily: [], alerts: [DashboardPageTests.alert], drift: DashboardPageTests.drift,
            generatedAt: SyntheticWindows.start)
        let router = Router()
        router.get("dashboard") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let directory = try TestStack.temporaryDirectory(prefix: "monitor-dashboard")
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let url = "http://127.0.0.1:\(port)/dashboard"
            let screenshot = directory.appendingPathComponent("dashboard.png").path
            let rendered = try await ProcessCapture.run(
                URL(fileURLWithPath: browser),
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                    "--user-data-dir=\(directory.path)/profile", "--virtual-time-budget=3000", "--dump-dom", url,
                ], environment: [:], timeout: 180)
            let (dom, log) = (rendered.stdout, rendered.stderr)
            #expect(dom.contains("Alpha"))
            #expect(dom.contains("Beta &lt;script&gt;"))
            #expect(dom.contains("worse than the fallback"))
            #expect(dom.contains("<svg"))
            #expect(dom.contains("Feature × neighborhood drift"))
            let console = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
            #expect(console.isEmpty, "console messages: \(console)")
            _ = try await ProcessCapture.run(
                URL(fileURLWithPath: browser),
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory.path)/profile2",
                    "--window-size=1200,1600", "--screenshot=\(screenshot)", url,
                ], environment: [:], timeout: 180)
            #expect(FileManager.default.fileExists(atPath: screenshot))
        }
    }
}
