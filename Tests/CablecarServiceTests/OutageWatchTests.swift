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

    init(downFrom: Int, down: Int) {
        self.downFrom = downFrom
        self.down = down
    }

    var asked: Int { answers.withLock { $0 } }

    func isUp() -> Bool {
        let index = answers.withLock { answers in
            defer { answers += 1 }
            return answers
        }
        return !(downFrom..<(downFrom + down)).contains(index)
    }

    func watch(grace: Duration = .milliseconds(100)) -> OutageWatch {
        OutageWatch(interval: .milliseconds(10), downAnswers: 3, grace: grace) { self.isUp() }
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
