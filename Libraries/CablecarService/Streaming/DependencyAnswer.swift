/// What asking a dependency (the database) told about it.
public enum DependencyAnswer: Sendable, Equatable {
    /// It answered: it is up, though perhaps busy (a server that refuses a connection because it
    /// has too many is answering).
    case up
    /// It refused: nothing listens, the name does not resolve, or the server says it is shutting
    /// down or starting. A server that is down says so at once.
    case down
    /// No answer within the limit: down behind a network that drops packets, or only slow. On a
    /// machine starved of CPU a live database's answer came after its 3-second limit twice in a
    /// row, and an attempt that lived through that "outage" was given up for nothing.
    case silent
}

/// Answers in a row that were not "up", and whether they make an outage: `refusals` refusals in a
/// row do, silences only in a run of `silences` (a longer one), and any answer that is up ends the
/// run. Pure: `OutageWatch` and `DatabaseOutageMiddleware` feed it what they hear.
public struct DownStreak: Sendable, Equatable {
    public let refusals: Int
    public let silences: Int
    private var refusedInARow = 0
    private var notUpInARow = 0

    public init(refusals: Int, silences: Int) {
        self.refusals = max(1, refusals)
        self.silences = max(self.refusals, silences)
    }

    /// Records `answer`; true when the run it ends or extends makes an outage.
    public mutating func record(_ answer: DependencyAnswer) -> Bool {
        switch answer {
        case .up:
            refusedInARow = 0
            notUpInARow = 0
        case .down:
            refusedInARow += 1
            notUpInARow += 1
        case .silent:
            refusedInARow = 0
            notUpInARow += 1
        }
        return isOutage
    }

    public var isOutage: Bool { refusedInARow >= refusals || notUpInARow >= silences }
}
