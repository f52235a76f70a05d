import CablecarLocalStack
import Foundation
import Synchronization

/// The services `cablecar run` starts: executables beside `cablecar` itself, output to log files.
///
/// Their pids are kept in a file in the log directory, so services left running by a run that
/// crashed (they would hold their ports and fail the next run's readiness checks) are stopped
/// when the next run starts.
final class ChildProcesses: Sendable {
    let logDirectory: URL
    private let processes = Mutex<[(name: String, process: Process)]>([])

    private var pidFile: URL { logDirectory.appendingPathComponent("children.pids") }

    init(logDirectory: URL) {
        self.logDirectory = logDirectory
        try? FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        stopLeftovers()
    }

    /// Stops the services an earlier run recorded that are still running. A recorded pid is only
    /// signalled while /proc says it still runs that executable (pids are reused).
    private func stopLeftovers() {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8) else { return }
        let leftovers = LeftoverChild.parse(text).filter { $0.isRunning() }
        for child in leftovers {
            print("stopping \(child.name) (pid \(child.pid)) left running by an earlier run")
            kill(child.pid, SIGTERM)
        }
        let deadline = Date().addingTimeInterval(20)
        for child in leftovers {
            while child.isRunning(), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if child.isRunning() { kill(child.pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: pidFile)
    }

    private func record(_ name: String, pid: Int32) {
        let line = Data("\(pid) \(name)\n".utf8)
        if let handle = try? FileHandle(forWritingTo: pidFile) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
            try? handle.close()
        } else {
            try? line.write(to: pidFile)
        }
    }

    static func executable(_ name: String) throws -> URL {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidate = own.deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw ValidationErrorText("\(name) not found beside \(own.path): build all products with `swift build -c release`")
        }
        return candidate
    }

    /// - Parameter appendingToLog: keep what the log holds (a restart after a crash) instead of
    ///   starting it afresh.
    func start(_ name: String, arguments: [String] = [], environment: [String: String], appendingToLog: Bool = false) throws {
        let process = Process()
        process.executableURL = try Self.executable(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = logDirectory.appendingPathComponent("\(name).log")
        if !appendingToLog || !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        _ = try handle.seekToEnd()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.withLock {
            $0.append((name, process))
            record(name, pid: process.processIdentifier)
        }
        print("started \(name) (pid \(process.processIdentifier), log \(log.path))")
    }

    /// Runs with this terminal's output, waiting for the exit; a non-zero exit is an error.
    func runToCompletion(_ name: String, arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = try Self.executable(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationErrorText("\(name) \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
    }

    /// Runs with this terminal's output and waits for the exit without blocking a thread of the
    /// cooperative pool (other tasks, such as a request generator, keep running meanwhile).
    func runInBackgroundToCompletion(_ name: String, arguments: [String], environment: [String: String]) async throws {
        let process = Process()
        process.executableURL = try Self.executable(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(200)) }
        guard process.terminationStatus == 0 else {
            throw ValidationErrorText("\(name) \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
    }

    /// kill -9, as a crash: the process gets no chance to finish a batch, commit or leave its
    /// consumer group. Returns once it is gone.
    func crash(_ name: String) async {
        let victims = processes.withLock { processes in
            let found = processes.filter { $0.name == name }.map(\.process)
            processes.removeAll { $0.name == name }
            return found
        }
        for process in victims where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    var allRunning: Bool {
        processes.withLock { $0.allSatisfy { $0.process.isRunning } }
    }

    /// SIGTERM to each, then wait up to 20 s for graceful exits.
    func stopAll() {
        let running = processes.withLock { processes in
            defer { processes.removeAll() }
            return processes
        }
        for (_, process) in running where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(20)
        for (name, process) in running {
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning {
                print("\(name) did not stop within 20 s; killing it")
                kill(process.processIdentifier, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(at: pidFile)
    }
}
