import Foundation

/// Runs a program to completion with extra environment, capturing its output. A program still
/// running after `timeout` is killed and fails the test, so a hung child never hangs the run.
public struct ProcessCapture: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public static func run(_ executable: URL, _ arguments: [String], environment extra: [String: String], timeout: TimeInterval = 1800)
        async throws -> ProcessCapture
    {
        try await offThePool {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment.merge(extra) { _, new in new }
            process.environment = environment
            let directory = try TestStack.temporaryDirectory(prefix: "registry-proc")
            let out = directory.appendingPathComponent("stdout")
            let err = directory.appendingPathComponent("stderr")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try TestChildren.run(process)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw TestFailure("\(executable.lastPathComponent) \(arguments) did not finish within \(timeout)s")
            }
            return ProcessCapture(
                status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }
    }
}
