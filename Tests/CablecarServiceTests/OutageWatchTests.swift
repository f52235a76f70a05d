import CablecarTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import CablecarService

/// A dependency whose answers the test scripts: up, then `down` answers of down, then up again.
final class ScriptedDependency: Sendable {
    private let answers = Mutex(0)
    private let downFrom: Int
    private let down: Int

    var asked: Int { answers.withLock { $0 } }

    /// The answer given while down: refused, or silent.
    private let downAnswer: DependencyAnswer

    init(downFrom: Int, down: Int, answering downAnswer: DependencyAnswer = .down) {
        self.downFrom = downFrom
        self.down = down
        self.downAnswer = downAnswer
    }

    func answer() -> DependencyAnswer {
        let index = answers.withLock { answers in
            defer { answers += 1 }
            return answers
        }
        return (downFrom..<(downFrom + down)).contains(index) ? downAnswer : .up
    }

    func watch(grace: Duration = .milliseconds(100)) -> OutageWatch {
        OutageWatch(interval: .milliseconds(10), downAnswers: 3, silentAnswers: 8, grace: grace) { self.answer() }
    }
}

@Suite("Outage watch")
struct OutageWatchTests {
    @Test("an attempt still waiting after the outage it lived through is given up long before its time limit")
    func attemptOutlivingAnOutageIsGivenUp() async throws {
        let dependency = ScriptedDependency(downFrom: 2, down: 5)
        // The limit would end it with TimeLimitExceeded; the watch ends it first, with its own error.
        await #expect(throws: AttemptOutlivedOutage.self) {
            try await withTimeLimit(.seconds(3600), "a call lost in the outage", watching: dependency.watch()) {
                try await Task.sleep(for: .seconds(7200))
            }
        }
        #expect(dependency.asked >= 2 + 5 + 1, "the dependency was back before the attempt was given up")
    }

    @Test("a dependency that only answered down once or twice (a busy pool) is no outage: the attempt finishes")
    func slowAnswersAreNoOutage() async throws {
        let dependency = ScriptedDependency(downFrom: 1, down: 2)
        let value = try await withTimeLimit(.seconds(3600), "a slow batch", watching: dependency.watch(grace: .milliseconds(20))) {
            // Runs until the watch has seen the failed answers and the recovery after them.
            while dependency.asked < 10 { try await Task.sleep(for: .milliseconds(10)) }
            return 42
        }
        #expect(value == 42)
    }

    @Test("silence counts only in a long run: seven silent answers are no outage, eight are")
    func silenceCountsOnlyInALongRun() async throws {
        let slow = ScriptedDependency(downFrom: 1, down: 7, answering: .silent)
        let value = try await withTimeLimit(.seconds(3600), "a batch on a starved machine", watching: slow.watch(grace: .milliseconds(20)))
        {
            while slow.asked < 14 { try await Task.sleep(for: .milliseconds(10)) }
            return 42
        }
        #expect(value == 42)
        let silent = ScriptedDependency(downFrom: 1, down: 8, answering: .silent)
        await #expect(throws: AttemptOutlivedOutage.self) {
            try await withTimeLimit(.seconds(3600), "a call lost while the database was unreachable", watching: silent.watch()) {
                try await Task.sleep(for: .seconds(7200))
            }
        }
    }

    @Test("a streak: refusals make an outage sooner than silences, and an answer that is up ends the run")
    func downStreakCountsRefusalsAndSilences() {
        var streak = DownStreak(refusals: 2, silences: 4)
        let answers: [DependencyAnswer] = [.down, .down, .up, .silent, .down, .silent, .silent, .up]
        let verdicts = answers.map { streak.record($0) }
        // Two refusals in a row; an answer that is up ends the run; mixed, the fourth answer in a
        // row that was not up.
        #expect(verdicts == [false, true, false, false, false, false, true, false])
        #expect(!streak.isOutage)
        #expect(DownStreak(refusals: 5, silences: 2).silences == 5, "silence never counts sooner than refusal")
    }

    @Test("a stream batch lost in an outage is retried once the database is back, and nothing is lost or marked twice")
    func streamWorkerRetriesABatchLostInAnOutage() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: true)
        handler.hangHandle(1)
        // The time limit alone would wait an hour.
        let retry = RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20), attemptTimeLimit: .seconds(3600))
        let dependency = ScriptedDependency(downFrom: 1, down: 4)
        let worker = StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: retry, watch: dependency.watch(),
            idleTick: .seconds(5), logger: Logger(label: "test"))
        let run = Task { try await worker.run() }
        source.push(InMemoryMessageSource.batch(0...9))
        source.push(InMemoryMessageSource.batch(10...19))
        try await eventually(timeout: .seconds(1200), every: .milliseconds(5), "the lost batch was not retried") {
            source.markedOffsets.count == 20
        }
        #expect(source.markedOffsets == Array(0..<20), "each message marked exactly once, in order")
        #expect(handler.recoverCount >= 2, "recovered after the lost batch")
        worker.stop()
        try await run.value
        handler.releaseHangs()
    }
}
