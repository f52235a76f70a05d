import Foundation

/// Runs the external programs the local stack is made of (initdb, pg_ctl, the broker).
///
/// Uses posix_spawn and waitpid directly: the programs here start daemons that inherit
/// descriptors and outlive their parent, which confuses Foundation's Process bookkeeping.
public enum ProcessRunner {
    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String {
            "command `\(command.joined(separator: " "))` exited with status \(status): \(output.suffix(2000))"
        }
    }

    /// Runs to completion and returns combined stdout and stderr; throws on a non-zero exit.
    @discardableResult
    public static func run(_ command: [String]) throws -> String {
        // Output goes to a file, not a pipe: a server started by the command (pg_ctl start)
        // would inherit the pipe and keep it open, so reading to end-of-file would never return.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("cablecar-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let pid = try spawn(command, outputPath: outputFile.path)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitStatus == 0 else { throw Failure(command: command, status: exitStatus, output: text) }
        return text
    }

    /// Starts a long-running program in its own session with output to `logFile`; it outlives
    /// this process (so `cablecar stack up` can return) and is stopped by pid later.
    public static func spawnDetached(_ command: [String], logFile: URL) throws -> Int32 {
        // setsid(1): its own session, so the terminal's hang-up or Ctrl-C does not reach it.
        try spawn(["setsid"] + command, outputPath: logFile.path)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; the Glibc module does
    /// not declare it).
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    private static func spawn(_ command: [String], outputPath: String) throws -> Int32 {
        guard let program = command.first else { throw Failure(command: command, status: -1, output: "empty command") }
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        // Nothing else of ours goes to the child: an inherited socket (a test's HTTP connection, a
        // service's broker connection) would stay open in a daemon that outlives us, so closing
        // it here would never reach the peer.
        _ = closeFrom?(&fileActions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, program, &fileActions, &attributes, &arguments, environ)
        guard result == 0 else {
            throw Failure(command: command, status: -1, output: "could not start \(program): \(String(cString: strerror(result)))")
        }
        return pid
    }

    public static func isAlive(pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        reapIfChild(pid)
        return kill(pid, 0) == 0
    }

    /// SIGTERM, then SIGKILL if the process is still there after `grace`.
    public static func terminate(pid: Int32, grace: TimeInterval = 5) {
        guard isAlive(pid: pid) else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isAlive(pid: pid), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        if isAlive(pid: pid) { kill(pid, SIGKILL) }
        reapIfChild(pid)
    }

    /// Kills `pid` with SIGKILL at once, as a crash or the kernel's OOM killer would, and waits
    /// until it is gone.
    public static func killAbruptly(pid: Int32, within: TimeInterval = 5) {
        guard isAlive(pid: pid) else { return }
        _ = kill(pid, SIGKILL)
        reapIfChild(pid)
        let deadline = Date().addingTimeInterval(within)
        while isAlive(pid: pid), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            reapIfChild(pid)
        }
    }

    /// A child that exited stays a zombie (and "alive" to kill(0)) until reaped.
    private static func reapIfChild(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }
}
