import CablecarKafka
import CablecarTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import CablecarService

/// A handler whose failures the test scripts: `handle` and `publish` throw the queued errors
/// first, `recover` can be held until the test releases it.
final class ScriptedHandler: StreamHandler, @unchecked Sendable {
    private let lock = NSLock()
    let publishesBesideNextBatch: Bool
    private var handleFailures: [any Error] = []
    private var publishFailures: [any Error] = []
    private var recoverFailures: [any Error] = []
    private var handledOffsets: [Int64] = []
    private var publishedOffsets: [Int64] = []
    private var ticks = 0
    private var recoveries = 0
    private var hangsToCome = 0
    private var hanging: [CheckedContinuation<Void, Never>] = []

    init(overlapping: Bool) { publishesBesideNextBatch = overlapping }

    func failHandle(_ errors: any Error...) { lock.withLock { handleFailures += errors } }
    func failPublish(_ errors: any Error...) { lock.withLock { publishFailures += errors } }
    func failRecover(_ errors: any Error...) { lock.withLock { recoverFailures += errors } }
    /// The next `count` batches are never answered, cancelled or not, until `releaseHangs()`:
    /// a database call that neither returns nor fails.
    func hangHandle(_ count: Int) { lock.withLock { hangsToCome += count } }
    func releaseHangs() {
        for continuation in lock.withLock({
            defer { hanging = [] }
            return hanging
        }) { continuation.resume() }
    }

    func prepare(_ batch: [KafkaMessage]) -> [Int64] { batch.map(\.offset) }

    func recover() async throws {
        try lock.withLock {
            recoveries += 1
            if !recoverFailures.isEmpty { throw recoverFailures.removeFirst() }
        }
    }

    func handle(_ batch: [KafkaMessage], prepared: [Int64], context: BatchContext) async throws -> [Int64] {
        if !batch.isEmpty,
            lock.withLock({
                defer { hangsToCome = max(0, hangsToCome - 1) }
                return hangsToCome > 0
            })
        {
            await withCheckedContinuation { continuation in lock.withLock { hanging.append(continuation) } }
            throw CancellationError()
        }
        return try lock.withLock {
            if batch.isEmpty {
                ticks += 1
                return []
            }
            if !handleFailures.isEmpty { throw handleFailures.removeFirst() }
            handledOffsets += prepared
            return prepared
        }
    }

    func publish(_ output: [Int64]) async throws {
        try await Task.sleep(for: .milliseconds(5))
        try lock.withLock {
            if output.isEmpty { return }
            if !publishFailures.isEmpty { throw publishFailures.removeFirst() }
            publishedOffsets += output
        }
    }

    var handled: [Int64] { lock.withLock { handledOffsets } }
    var published: [Int64] { lock.withLock { publishedOffsets } }
    var tickCount: Int { lock.withLock { ticks } }
    var recoverCount: Int { lock.withLock { recoveries } }
}

struct TransientTestError: Error {}

/// An error type the classifier does not know: retried like a transient one.
struct CancellationErrorLike: Error {}

@Suite("Stream worker (in memory)")
struct StreamWorkerTests {
    static let fast = RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20))

    func worker(_ source: InMemoryMessageSource, _ handler: ScriptedHandler, tick: Duration = .seconds(5)) -> StreamWorker<ScriptedHandler>
    {
        StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: Self.fast, watch: nil, idleTick: tick,
            logger: Logger(label: "test"))
    }

    // Patient time (see PatientClock): the whole suite shares two cores, and a starved pool must
    // not read as a hang. A real hang still fails.
    func waitUntil(_ condition: @autoclosure () -> Bool, timeout: Duration = .seconds(60)) async throws {
        try await eventually(timeout: timeout, every: .milliseconds(5), "the condition did not hold within \(timeout)") { condition() }
    }

    /// Waits for `run` to end; fails when that takes more than `timeout` of patient time.
    func waitForEnd(of run: Task<Void, any Error>, within timeout: Duration) async throws {
        let ended = Mutex(false)
        let watcher = Task {
            defer { ended.withLock { $0 = true } }
            try await run.value
        }
        try await eventually(timeout: timeout, every: .milliseconds(5), "the worker did not end within \(timeout)") {
            ended.withLock { $0 }
        }
        try await watcher.value
    }

    @Test(
        "transient failures of handle and publish are retried: every message is marked once, in order, after its publish",
        arguments: [true, false])
    func transientFailuresAreRetried(overlapping: Bool) async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: overlapping)
        handler.failHandle(TransientTestError(), CancellationErrorLike())
        handler.failPublish(KafkaError(code: -195, name: "_TRANSPORT", reason: "broker down", operation: "flushing"))
        handler.failRecover(TransientTestError())
        let worker = self.worker(source, handler)
        let run = Task { try await worker.run() }
        for start in stride(from: Int64(0), to: 50, by: 10) { source.push(InMemoryMessageSource.batch(start...(start + 9))) }
        try await waitUntil(source.markedOffsets.count == 50)
        #expect(source.markedOffsets == Array(0..<50), "each message marked exactly once, in order")
        #expect(Set(handler.published) == Set(0..<50), "everything marked was published")
        #expect(handler.handled.count > 50, "failed batches were handled again")
        #expect(handler.recoverCount == 1 + 3 + 1, "recover at start, after each of 3 failures, plus its own failed attempt")
        #expect(worker.state.phase == .consuming)
        #expect(await worker.isReady())
        worker.stop()
        try await run.value
        #expect(source.closeCount >= 1, "a stop closes the source, which commits what was marked")
    }

    @Test("a batch that never finishes is cancelled after the attempt time limit and retried: nothing is lost or marked twice")
    func hangingBatchIsRetried() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: true)
        handler.hangHandle(2)
        // Long enough that an attempt which does answer is rarely cut off on a starved two-core machine
        // (a 200 ms limit often cancelled one; 2 s once did, in a full CI run where this test took 105 s).
        let limited = RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20), attemptTimeLimit: .seconds(2))
        let worker = StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: limited, watch: nil, idleTick: .seconds(5),
            logger: Logger(label: "test"))
        let run = Task { try await worker.run() }
        for start in stride(from: Int64(0), to: 30, by: 10) { source.push(InMemoryMessageSource.batch(start...(start + 9))) }
        try await waitUntil(source.markedOffsets.count == 30)
        #expect(source.markedOffsets == Array(0..<30), "each message marked exactly once, in order")
        // At least once per hang; a starved attempt cut off by the limit adds one, harmlessly: the
        // order and exactly-once marks above are what must hold.
        #expect(handler.recoverCount >= 1 + 2, "recovered after each hang")
        #expect(await worker.isReady())
        worker.stop()
        try await waitForEnd(of: run, within: .seconds(30))
        handler.releaseHangs()
    }

    @Test("an error no retry can fix ends the worker: it rethrows, abandons the source and marks nothing of the failed batch")
    func permanentFailureExits() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: true)
        handler.failHandle(ConfigurationError(variable: "X", problem: "bad", expected: "good"))
        let worker = self.worker(source, handler)
        let run = Task { try await worker.run() }
        source.push(InMemoryMessageSource.batch(0...4))
        await #expect(throws: ConfigurationError.self) { try await run.value }
        #expect(source.markedOffsets.isEmpty)
        #expect(source.wasAbandoned)
        #expect(!(await worker.isReady()))
    }

    @Test("not ready while recovering or before the group assigned partitions; ready again once recovered")
    func readinessFollowsRecovery() async throws {
        let source = InMemoryMessageSource()
        source.settled = false
        let handler = ScriptedHandler(overlapping: false)
        let slow = RetryPolicy(initialDelay: .milliseconds(300), maximumDelay: .milliseconds(300))
        let worker = StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: slow, watch: nil, idleTick: .seconds(5),
            logger: Logger(label: "test"))
        let run = Task { try await worker.run() }
        try await waitUntil(worker.state.phase == .consuming)
        #expect(!(await worker.isReady()), "no partitions assigned yet")
        source.settled = true
        #expect(await worker.isReady())
        handler.failHandle(TransientTestError())
        source.push(InMemoryMessageSource.batch(0...2))
        try await waitUntil(worker.state.phase == .recovering)
        #expect(!(await worker.isReady()), "retrying after a failure")
        try await waitUntil(source.markedOffsets == [0, 1, 2])
        #expect(await worker.isReady())
        worker.stop()
        try await run.value
    }

    @Test("an idle worker ticks, and a stop while idle ends it at once")
    func idleTicksAndStop() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: true)
        let worker = self.worker(source, handler, tick: .milliseconds(20))
        let run = Task { try await worker.run() }
        try await waitUntil(handler.tickCount >= 3)
        worker.stop()
        // At once: well under a second; 4 s of patient time allows a machine busy with the suite.
        try await waitForEnd(of: run, within: .seconds(4))
        #expect(source.subscribed == ["in"])
    }

    @Test("a stop during back-off ends the worker without marking the failed batch")
    func stopDuringBackOff() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: false)
        let slow = RetryPolicy(initialDelay: .seconds(30), maximumDelay: .seconds(30))
        let worker = StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: slow, watch: nil, idleTick: .seconds(5),
            logger: Logger(label: "test"))
        let run = Task { try await worker.run() }
        handler.failHandle(TransientTestError())
        source.push(InMemoryMessageSource.batch(0...2))
        try await waitUntil(worker.state.phase == .recovering)
        worker.stop()
        // The 30 s back-off does not delay a stop.
        try await waitForEnd(of: run, within: .seconds(15))
        #expect(source.markedOffsets.isEmpty, "the failed batch is redelivered to the next instance")
    }
}
