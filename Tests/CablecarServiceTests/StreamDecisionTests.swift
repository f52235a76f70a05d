import CablecarKafka
import CablecarPostgres
import Testing

@testable import CablecarService

@Suite("Stream worker decisions")
struct StreamDecisionTests {
    @Test("back-off doubles from the initial delay, is capped, and never overflows")
    func backOff() {
        let policy = RetryPolicy(initialDelay: .milliseconds(250), maximumDelay: .seconds(15))
        #expect(policy.delay(afterFailures: 0) == .zero)
        #expect(policy.delay(afterFailures: 1) == .milliseconds(250))
        #expect(policy.delay(afterFailures: 2) == .milliseconds(500))
        #expect(policy.delay(afterFailures: 4) == .seconds(2))
        #expect(policy.delay(afterFailures: 7) == .seconds(15))
        #expect(policy.delay(afterFailures: Int.max) == .seconds(15))
    }

    @Test("outages are transient; configuration, schema and credential errors are permanent")
    func classification() {
        for state in ["57P01", "57P02", "57P03", "08006", "08001", "40001", "40P01", "53300", "55P03", "23505", "25P03"] {
            #expect(FailureClassifier.classify(sqlState: state) == .transient, "\(state)")
        }
        for state in ["28P01", "3D000", "42P01", "42703", "0A000", "22003", "XX001", "F0000"] {
            #expect(FailureClassifier.classify(sqlState: state) == .permanent, "\(state)")
        }
        #expect(FailureClassifier.classify(KafkaError(code: -195, name: "_TRANSPORT", reason: "", operation: "")) == .transient)
        #expect(FailureClassifier.classify(KafkaError(code: -192, name: "_MSG_TIMED_OUT", reason: "", operation: "")) == .transient)
        #expect(FailureClassifier.classify(KafkaError(code: -187, name: "_ALL_BROKERS_DOWN", reason: "", operation: "")) == .transient)
        #expect(FailureClassifier.classify(KafkaError(code: 3, name: "UNKNOWN_TOPIC_OR_PART", reason: "", operation: "")) == .transient)
        #expect(FailureClassifier.classify(KafkaError(code: -150, name: "_FATAL", reason: "", operation: "")) == .permanent)
        #expect(
            FailureClassifier.classify(KafkaError(code: 29, name: "TOPIC_AUTHORIZATION_FAILED", reason: "", operation: "")) == .permanent)
        #expect(FailureClassifier.classify(ConfigurationError(variable: "X", problem: "p", expected: "e")) == .permanent)
        #expect(
            FailureClassifier.classify(DatabaseError.migrationChanged(version: 1, name: "n", appliedChecksum: "a", fileChecksum: "b"))
                == .permanent)
        #expect(FailureClassifier.classify(CancellationError()) == .cancelled)
        struct Unknown: Error {}
        #expect(FailureClassifier.classify(Unknown()) == .transient, "unknown errors are retried: a retry reloads state as a restart would")
    }

    @Test("a stop while idle closes now, while busy waits for the batch and its publish")
    func stopping() {
        var idle = StreamWorkerState()
        idle.recovered()
        #expect(idle.requestStop() == .closeNow)
        #expect(idle.requestStop() == .none)
        let result1 = idle.beginBatch()
        #expect(!result1)

        var busy = StreamWorkerState()
        busy.recovered()
        let result2 = busy.beginBatch()
        #expect(result2)
        #expect(busy.requestStop() == .afterBatch)
        let result3 = busy.batchHandled(publishing: true)
        #expect(result3, "stop after the batch, awaiting its publish")

        var publishing = StreamWorkerState()
        publishing.recovered()
        let result4 = publishing.beginBatch()
        #expect(result4)
        let result5 = publishing.batchHandled(publishing: true)
        #expect(!result5)
        #expect(publishing.requestStop() == .afterBatch, "a publish is still in flight")
        let result6 = publishing.publishFinished()
        #expect(result6)
    }

    @Test("failures: transient ones back off more each time until a batch goes through; permanent ones exit")
    func failures() {
        var state = StreamWorkerState(retry: RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(4)))
        state.recovered()
        #expect(state.isReady(hasSettledAssignment: true))
        #expect(!state.isReady(hasSettledAssignment: false))
        _ = state.beginBatch()
        #expect(state.failed(.transient, description: "57P01") == .retry(after: .seconds(1)))
        #expect(!state.isReady(hasSettledAssignment: true))
        #expect(state.notReadyReason(hasSettledAssignment: true)?.contains("57P01") == true)
        #expect(state.failed(.transient, description: "connection refused") == .retry(after: .seconds(2)))
        state.recovered()
        #expect(state.isReady(hasSettledAssignment: true))
        _ = state.beginBatch()
        #expect(state.failed(.transient, description: "again") == .retry(after: .seconds(4)), "no batch went through in between")
        state.recovered()
        _ = state.beginBatch()
        _ = state.batchHandled(publishing: false)
        #expect(state.consecutiveFailures == 0)
        _ = state.beginBatch()
        #expect(state.failed(.permanent, description: "42P01") == .exit)
        #expect(state.phase == .stopped)
        let result7 = state.beginBatch()
        #expect(!result7)
        var stalled = StreamWorkerState(stallLimit: .seconds(10))
        stalled.recovered()
        let start = ContinuousClock.now
        _ = stalled.beginBatch(now: start)
        #expect(stalled.isReady(hasSettledAssignment: true, now: start + .seconds(10)))
        #expect(!stalled.isReady(hasSettledAssignment: true, now: start + .seconds(11)), "a batch stuck in flight is no progress")
        _ = stalled.batchHandled(publishing: true, now: start + .seconds(11))
        #expect(stalled.isReady(hasSettledAssignment: true, now: start + .seconds(12)))
        #expect(!stalled.isReady(hasSettledAssignment: true, now: start + .seconds(22)), "nor is a publish stuck in flight")
        _ = stalled.publishFinished()
        #expect(stalled.isReady(hasSettledAssignment: true, now: start + .seconds(60)), "idle is fine")
        var stopping = StreamWorkerState()
        stopping.recovered()
        _ = stopping.beginBatch()
        _ = stopping.requestStop()
        #expect(stopping.failed(.transient, description: "x") == .stop, "no retry once a stop was asked for")
        #expect(stopping.failed(.cancelled, description: "x") == .stop)
    }
}
