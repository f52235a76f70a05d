import Foundation

/// Starts the processes tests spawn (service executables, the simulator, a browser) and kills
/// those still running when the test process exits, whichever path a test took: a failed
/// expectation that skipped its stop, a graceful stop that timed out, a thrown error. A test
/// runner may hand its children an ignored SIGTERM, so the reaper sends SIGKILL.
public enum TestChildren {
    nonisolated(unsafe) private static var children: [Process] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// `process.run()`, with the child recorded for the reaper.
    public static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
        children.removeAll { !$0.isRunning }
        children.append(process)
        if !installed {
            installed = true
            atexit { TestChildren.killAll() }
        }
    }

    /// The children still running, by pid (a test asserting that it stopped its own).
    public static var running: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return children.filter(\.isRunning).map(\.processIdentifier)
    }

    /// Waits for `process` to exit and returns its status; one still running after `timeout` is
    /// killed and fails the test, naming `what`, so a hung child never hangs the run.
    @discardableResult
    public static func waitForExit(_ process: Process, within timeout: Duration, _ what: @autoclosure () -> String) async throws
        -> Int32
    {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestFailure("\(what()) was still running after \(timeout); killed")
        }
        return process.terminationStatus
    }

    static func killAll() {
        lock.lock()
        defer { lock.unlock() }
        for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) }
        children.removeAll()
    }
}
