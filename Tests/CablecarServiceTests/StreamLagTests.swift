import CablecarKafka
import CablecarTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import CablecarService

/// Topic ends set by the test.
final class FixedTopicEnds: TopicEnds {
    private let ends = Mutex<[String: [Int32: Int64]]>([:])

    func set(_ topic: String, _ partitions: [Int32: Int64]) { ends.withLock { $0[topic] = partitions } }

    func endOffsets(of topic: String, timeout: Duration) async throws -> [Int32: Int64] {
        guard let known = ends.withLock({ $0[topic] }) else {
            throw KafkaError(code: 3, name: "UNKNOWN_TOPIC_OR_PART", reason: "no such topic", operation: "reading end offsets")
        }
        return known
    }
}

@Suite("Stream lag")
struct StreamLagTests {
    @Test("lag per topic is the end minus the committed offset, summed over partitions; nothing committed counts from 0")
    func lagSumsPartitions() {
        let lag = StreamLag.topic(
            "raw.loop", ends: [0: 100, 1: 50, 2: 0],
            committed: [TopicPartition(topic: "raw.loop", partition: 0): 60, TopicPartition(topic: "raw.loop", partition: 2): -1001])
        #expect(lag == StreamLag.TopicLag(topic: "raw.loop", partitions: 3, endOffset: 150, committedOffset: 60, lag: 90))
    }

    @Test("a committed offset past the end (a topic recreated empty) never makes lag negative")
    func lagIsNeverNegative() {
        let lag = StreamLag.topic("obs.traffic", ends: [0: 10], committed: [TopicPartition(topic: "obs.traffic", partition: 0): 500])
        #expect(lag.lag == 0)
        #expect(lag.committedOffset == 10)
    }

    @Test("the report's JSON carries the totals a caller waits on")
    func reportEncodesTotals() throws {
        let report = StreamLag(
            worker: "ingest", group: "g",
            topics: [
                StreamLag.TopicLag(topic: "a", partitions: 1, endOffset: 5, committedOffset: 2, lag: 3),
                StreamLag.TopicLag(topic: "b", partitions: 1, endOffset: 4, committedOffset: 0, lag: 4),
            ])
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(json["lag"] as? Int == 7)
        #expect((json["topics"] as? [[String: Any]])?.first?["end_offset"] as? Int == 5)
        #expect(try JSONDecoder().decode(StreamLag.self, from: JSONEncoder().encode(report)) == report)
    }

    @Test("a worker's lag falls to zero as its batches are handled and marked")
    func workerLagFollowsMarks() async throws {
        let source = InMemoryMessageSource()
        let handler = ScriptedHandler(overlapping: false)
        let ends = FixedTopicEnds()
        ends.set("in", [0: 30])
        let worker = StreamWorker(
            name: "test", source: source, topics: ["in"], handler: handler, retry: StreamWorkerTests.fast, watch: nil,
            idleTick: .seconds(5),
            ends: ends, logger: Logger(label: "test"))
        #expect(try await worker.lag().lag == 30, "nothing handled yet")
        let run = Task { try await worker.run() }
        source.push(InMemoryMessageSource.batch(0...19))
        try await eventually(timeout: .seconds(60), every: .milliseconds(5), "the first batch was not marked") {
            source.markedOffsets.count == 20
        }
        let partway = try await worker.lag()
        #expect(partway.lag == 10)
        #expect(partway.topics.map(\.committedOffset) == [20])
        source.push(InMemoryMessageSource.batch(20...29))
        try await eventually(timeout: .seconds(60), every: .milliseconds(5), "the second batch was not marked") {
            source.markedOffsets.count == 30
        }
        #expect(try await worker.lag().lag == 0)
        worker.stop()
        try await run.value
    }

    @Test("a worker without topic ends says so with the service error shape, not a number")
    func workerWithoutEndsReportsUnavailable() async throws {
        let worker = StreamWorker(
            name: "test", source: InMemoryMessageSource(), topics: ["in"], handler: ScriptedHandler(overlapping: false),
            watch: nil, logger: Logger(label: "test"))
        await #expect(throws: ServiceError.self) { try await worker.lag() }
    }
}
