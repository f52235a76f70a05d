import CablecarTestSupport
import Testing

@testable import CablecarKafka

@Suite("What a flush reports of earlier deliveries")
struct ProducerStateTests {
    static func failure(_ code: Int32, _ name: String) -> KafkaError {
        KafkaError(code: code, name: name, reason: "test", operation: "delivering a message to topic raw.loop")
    }

    @Test("messages purged with a replaced client are counted as failed but do not fail the next flush")
    func purgedMessagesDoNotFailTheBatchSentAgain() {
        let state = ProducerState(logger: TestStack.logger)
        state.recordDelivery(Self.failure(-151, "_PURGE_INFLIGHT"))
        state.recordDelivery(Self.failure(-152, "_PURGE_QUEUE"))
        #expect(state.takeFailure() == nil, "the replacement that purged them was reported when it happened")
        #expect(state.snapshot.failed == 2)
    }

    @Test("any other failed delivery fails the next flush, once")
    func otherFailuresAreReported() {
        let state = ProducerState(logger: TestStack.logger)
        state.recordDelivery(Self.failure(-151, "_PURGE_INFLIGHT"))
        state.recordDelivery(Self.failure(-192, "_MSG_TIMED_OUT"))
        state.recordDelivery(nil)
        #expect(state.takeFailure()?.code == -192)
        #expect(state.takeFailure() == nil)
        #expect(state.snapshot.failed == 2)
        #expect(state.snapshot.delivered == 1)
    }
}
