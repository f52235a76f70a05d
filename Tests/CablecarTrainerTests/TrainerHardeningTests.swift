import CablecarDomain
import CablecarKafka
import CablecarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CablecarTrainer

/// Hostile input to the trainer: numbers at the extremes of Int64, NUL in text, garbage on its
/// topics and in its queue. Nothing may crash it, and a poison message must be recorded with
/// its reason and committed (never redelivered forever).
@Suite struct TrainerHardeningTests {
    struct Shape: Decodable {
        var error: String
        var code: String
    }

    @Test func theTrainAPIRefusesHostileNumbersAndTextWithA400InTheOneErrorShape() async throws {
        try await TrainerHarness.with { harness in
            let router = Router()
            TrainerRoutes.add(to: router, queue: harness.queue, bodyLimit: 65536, maxQueued: 100, logger: TestStack.logger)
            let app = Application(router: router)
            let long = String(repeating: "r", count: 201)
            let bodies = [
                #"{"start": -9223372036854775808, "end": 9223372036854775807}"#,
                #"{"start": 9223372036854775807, "end": -9223372036854775808}"#,
                #"{"start": 1740960000000, "end": 9223372036854775807}"#,
                #"{"start": -1, "end": 1741564800000}"#,
                #"{"start": 1e300, "end": 1741564800000}"#,
                #"{"start": "NaN", "end": 1741564800000}"#,
                #"{"start": "Infinity", "end": 1741564800000}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "horizons": [9223372036854775807]}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "horizons": [-5]}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "detail": "a\u0000b"}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "request_id": "a\u0000b"}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "neighborhoods": ["x\u0000"]}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "request_id": "\#(long)"}"#,
                #"{"start": 1740960000000, "end": 1741564800000, "requested_by": ""}"#,
                "[]", "\u{0}", "",
            ]
            try await app.test(.router) { client in
                for body in bodies {
                    try await client.execute(uri: "/api/v1/train", method: .post, body: ByteBuffer(string: body)) { response in
                        #expect(response.status == .badRequest, "\(body)")
                        let shape = try? JSONDecoder().decode(Shape.self, from: Data(buffer: response.body))
                        #expect(shape?.error.isEmpty == false, "\(body): \(String(buffer: response.body))")
                    }
                }
                try await client.execute(uri: "/api/v1/train/a%00b", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/v1/train/\(String(repeating: "x", count: 300))", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/v1/train/no%20such", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("no such"), "the id is percent-decoded")
                }
            }
            #expect(try await harness.scalar("SELECT count(*) FROM trainer_requests") == 0)
        }
    }

    /// A client queueing faster than training runs is told to come back once the queue holds
    /// `maxQueued` waiting requests; a known request is still answered, and room comes back
    /// as requests are claimed.
    @Test func aFullQueueAnswers429UntilRequestsAreClaimed() async throws {
        try await TrainerHarness.with { harness in
            let router = Router()
            TrainerRoutes.add(to: router, queue: harness.queue, bodyLimit: 65536, maxQueued: 3, logger: TestStack.logger)
            let app = Application(router: router)
            @Sendable func body(_ id: String) -> ByteBuffer {
                ByteBuffer(string: #"{"request_id": "\#(id)", "start": 1740960000000, "end": 1741564800000}"#)
            }
            try await app.test(.router) { client in
                for id in ["q1", "q2", "q3"] {
                    try await client.execute(uri: "/api/v1/train", method: .post, body: body(id)) { response in
                        #expect(response.status == .accepted, "\(id)")
                    }
                }
                try await client.execute(uri: "/api/v1/train", method: .post, body: body("q4")) { response in
                    #expect(response.status == .tooManyRequests)
                    let shape = try JSONDecoder().decode(Shape.self, from: Data(buffer: response.body))
                    #expect(shape.code == "queue_full" && shape.error.contains("CABLECAR_TRAINER_MAX_QUEUED"), "\(shape.error)")
                }
                _ = try await harness.queue.claim(worker: "w", leaseSeconds: 60, maxAttempts: 3)
                try await client.execute(uri: "/api/v1/train", method: .post, body: body("q4")) { response in
                    #expect(response.status == .accepted)
                }
            }
            #expect(try await harness.scalar("SELECT count(*) FROM trainer_requests") == 4)
        }
    }

    @Test func poisonMessagesAreRecordedWithTheirReasonCommittedAndNotRedelivered() async throws {
        try await TrainerHarness.with { harness in
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(brokers: harness.brokers, clientID: "poison")),
                logger: TestStack.logger)
            let requests = harness.configuration.name(of: .trainRequests)
            let alerts = harness.configuration.name(of: .monitorAlerts)
            let poison: [(String, String)] = [
                (requests, "not json at all"),
                (
                    requests,
                    #"{"v":99,"request_id":"future","event_time":1,"start":1,"end":2,"targets":[],"horizons":[],"reason":"manual","requested_by":"x"}"#
                ),
                (
                    requests,
                    #"{"v":1,"request_id":"nul\u0000id","event_time":1704067200000,"start":1704067200000,"end":1704672000000,"targets":["speed_kmh"],"horizons":[15],"reason":"manual","requested_by":"x"}"#
                ),
                (
                    requests,
                    #"{"v":1,"request_id":"nul-detail","event_time":1704067200000,"start":1704067200000,"end":1704672000000,"targets":["speed_kmh"],"horizons":[15],"reason":"manual","detail":"a\u0000b","requested_by":"x"}"#
                ),
                (alerts, #"{"alert_id":"A-max","event_time":9223372036854775807}"#),
                (alerts, #"{"alert_id":"A-min","event_time":-9223372036854775808}"#),
                (alerts, "\u{0}\u{1}\u{2}"),
            ]
            for (topic, body) in poison {
                try await producer.enqueue(topic: topic, key: nil, value: Array(body.utf8))
            }
            // Stored although invalid (its reasons are reported through GET /api/v1/train/{id}).
            let overflowing =
                #"{"v":1,"request_id":"overflowing","event_time":1704067200000,"start":-9223372036854775808,"end":9223372036854775807,"targets":["speed_kmh"],"horizons":[15],"reason":"manual","requested_by":"x"}"#
            let big =
                #"{"v":1,"request_id":"big","event_time":9223372036854775807,"start":-9223372036854775808,"end":9223372036854775807,"targets":["speed_kmh"],"horizons":[15],"reason":"manual","requested_by":"x"}"#
            try await producer.enqueue(topic: requests, key: nil, value: Array(overflowing.utf8))
            try await producer.enqueue(topic: requests, key: nil, value: Array(big.utf8))
            let valid = Array(try JSONEncoder().encode(TrainerHarness.request("after-poison")))
            try await producer.enqueue(topic: requests, key: nil, value: valid)
            try await producer.flush()
            await producer.close()

            func consume(until done: @escaping @Sendable () async throws -> Bool) async throws {
                let intake = try RequestIntake(
                    brokers: harness.brokers, queue: harness.queue, configuration: harness.configuration, logger: TestStack.logger,
                    watch: nil)
                let consuming = Task { try await intake.run() }
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline, try await !done() { try await Task.sleep(for: .milliseconds(200)) }
                try await Task.sleep(for: .seconds(1))
                await intake.stop()
                try await consuming.value  // the intake never failed on the poison
            }
            // Keyless messages land on any partition, so the valid request can be read before some
            // of the poison: wait for both (the count is asserted below).
            try await consume {
                guard try await harness.queue.status("after-poison") != nil else { return false }
                return try await harness.queue.rejectedMessages().count >= poison.count
            }
            let rejected = try await harness.queue.rejectedMessages()
            #expect(rejected.count == poison.count, "\(rejected)")
            #expect(rejected.allSatisfy { !$0.reason.isEmpty })
            #expect(rejected.contains { $0.reason.contains("unsupported schema version 99") })
            #expect(rejected.contains { $0.reason.contains("NUL") })
            #expect(rejected.contains { $0.reason.contains("event_time must be") })
            #expect(try await harness.queue.status("overflowing")?.state == .queued)
            #expect(try await harness.queue.status("big")?.state == .queued)

            // The worker fails the invalid requests with their reasons instead of crashing on them.
            let worker = harness.worker("worker-poison")
            for _ in 0..<3 {
                let overflowing = try await harness.queue.status("overflowing")
                let big = try await harness.queue.status("big")
                if overflowing?.state == .failed && big?.state == .failed { break }
                #expect(try await worker.runNext())
            }
            for id in ["overflowing", "big"] {
                let failed = try #require(try await harness.queue.status(id))
                #expect(failed.state == .failed, "\(id)")
                #expect(failed.error?.contains("start must be") == true, "\(id): \(failed.error ?? "")")
            }

            // A second intake in the same group does not see the poison again: it was committed.
            try await consume { true }
            #expect(try await harness.queue.rejectedMessages().count == poison.count)
        }
    }

    @Test func aStoredRequestThisBuildCannotReadFailsInsteadOfBlockingTheQueue() async throws {
        try await TrainerHarness.with { harness in
            try await harness.database.query(
                """
                INSERT INTO trainer_requests (request_id, request, source, status, created_at)
                VALUES ('garbled', '{"garbage": true}'::jsonb, 'topic', 'queued', now() - interval '1 hour')
                """, logger: TestStack.logger)
            #expect(try await harness.queue.enqueue(TrainerHarness.request("behind-garbled"), source: "http"))
            let claim = try await harness.queue.claim(worker: "w", leaseSeconds: 60, maxAttempts: 3)
            #expect(claim?.request.requestID == nil, "the unreadable request is not handed out")
            let garbled = try await harness.scalar(
                "SELECT count(*) FROM trainer_requests WHERE request_id = 'garbled' AND status = 'failed'")
            #expect(garbled == 1)
            let next = try await harness.queue.claim(worker: "w", leaseSeconds: 60, maxAttempts: 3)
            #expect(next?.request.requestID == "behind-garbled")
        }
    }

    @Test func alertsOutsideTheTimeBoundsAreUnreadableNotAnOverflow() throws {
        let translator = AlertTranslator(windowDays: 28)
        for time in [Int64.max, Int64.min, -1, 0, EpochBounds.latest + 1] {
            #expect(throws: AlertTranslator.AlertError.self) {
                try translator.request(fromAlert: Array(#"{"alert_id":"a","event_time":\#(time)}"#.utf8), receivedAt: 1_704_067_200_000)
            }
        }
        #expect(throws: AlertTranslator.AlertError.self) {
            try AlertTranslator(windowDays: Int.max).request(fromAlert: Array(#"{"alert_id":"a"}"#.utf8), receivedAt: 1_704_067_200_000)
        }
        let request = try #require(
            try translator.request(fromAlert: Array(#"{"alert_id":"a","event_time":1704067200000}"#.utf8), receivedAt: 0))
        #expect(request.problems().isEmpty)
    }
}
