import Foundation

/// Progress on standard error: a bar redrawn in place on a terminal, or one line per
/// simulated day when stderr is a file or a CI log (where carriage returns make a mess).
final class ProgressBar: @unchecked Sendable {
    // Guarded by `lock`: the replay calls `update` from whatever task runs it.
    private let lock = NSLock()
    private let days: Int
    private let width = 30
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastPercent = -1
    private var lastDay = 0

    init(days: Int) {
        self.days = days
    }

    func update(fraction: Double, records: Int) {
        lock.withLock {
            if interactive {
                let percent = Int((fraction * 100).rounded(.down))
                guard percent != lastPercent else { return }
                lastPercent = percent
                let filled = min(width, Int(fraction * Double(width)))
                let day = min(days, Int(fraction * Double(days)) + 1)
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  day \(day)/\(days)  \(records) records".utf8))
            } else {
                let done = min(days, Int((fraction * Double(days)).rounded(.down)))
                guard done > lastDay else { return }
                lastDay = done
                FileHandle.standardError.write(Data("simulated day \(done)/\(days), \(records) records\n".utf8))
            }
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
