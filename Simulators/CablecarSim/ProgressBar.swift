import Foundation

/// A one-line progress bar on standard error, redrawn in place.
final class ProgressBar: @unchecked Sendable {
    // Guarded by `lock`: the replay calls `update` from whatever task runs it.
    private let lock = NSLock()
    private let days: Int
    private let width = 30
    private var lastPercent = -1

    init(days: Int) {
        self.days = days
    }

    func update(fraction: Double, records: Int) {
        lock.withLock {
            let percent = Int((fraction * 100).rounded(.down))
            guard percent != lastPercent else { return }
            lastPercent = percent
            let filled = min(width, Int(fraction * Double(width)))
            let day = min(days, Int(fraction * Double(days)) + 1)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  day \(day)/\(days)  \(records) records".utf8))
        }
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
