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

    static func killAll() {
        lock.lock()
        defer { lock.unlock() }
        for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) }
        children.removeAll()
    }
}
