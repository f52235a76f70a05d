import Foundation

/// A service recorded in the pid file of an earlier `cablecar run` (`ChildProcesses`), to be
/// stopped by the next run if it still runs.
public struct LeftoverChild: Equatable, Sendable {
    public var pid: Int32
    public var name: String

    public init(pid: Int32, name: String) {
        self.pid = pid
        self.name = name
    }

    /// Lines of "pid name"; anything else is skipped (the file is ours, but may be cut short).
    public static func parse(_ text: String) -> [LeftoverChild] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 1,
                parts[1].hasPrefix("cablecar-"), !parts[1].contains("/")
            else { return nil }
            return LeftoverChild(pid: pid, name: String(parts[1]))
        }
    }

    /// True while the pid runs an executable of this name (argv[0] of /proc/PID/cmdline).
    public func isRunning(procRoot: String = "/proc") -> Bool {
        guard let data = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/cmdline"),
            let first = data.split(separator: 0, omittingEmptySubsequences: false).first,
            let argv0 = String(bytes: first, encoding: .utf8)
        else { return false }
        return (argv0 as NSString).lastPathComponent == name
    }
}
