import Foundation
import Synchronization

/// Progress on standard error: a bar redrawn in place on a terminal, or one line per
/// simulated day when stderr is a file or a CI log (where carriage returns make a mess).
final class ProgressBar: Sendable {
    /// What was drawn last; the replay calls `update` from whatever task runs it.
    private struct Drawn {
        var percent = -1
        var day = 0
    }

    private let days: Int
    private let width = 30
    private let interactive = isatty(STDERR_FILENO) != 0
    private let drawn = Mutex(Drawn())

    init(days: Int) {
        self.days = days
    }

    func update(fraction: Double, records: Int) {
        drawn.withLock { drawn in
            if interactive {
                let percent = Int((fraction * 100).rounded(.down))
                guard percent != drawn.percent else { return }
                drawn.percent = percent
                let filled = min(width, Int(fraction * Double(width)))
                let day = min(days, Int(fraction * Double(days)) + 1)
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  day \(day)/\(days)  \(records) records".utf8))
            } else {
                let done = min(days, Int((fraction * Double(days)).rounded(.down)))
                guard done > drawn.day else { return }
                drawn.day = done
                FileHandle.standardError.write(Data("simulated day \(done)/\(days), \(records) records\n".utf8))
            }
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
