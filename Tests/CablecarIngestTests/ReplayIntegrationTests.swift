import CablecarDomain
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarIngest

/// A simulated day with every fault kind, replayed through the real broker and Postgres, with
/// the first ingest instance crashing half-way through.
@Suite("Replayed day through ingest", .serialized)
struct ReplayIntegrationTests {
    static let simulation = ComputedOnce {
        try SimulationReplay.collect(SimulationConfiguration(city: IngestHarness.city, days: 1, seed: 11, faults: .heavy))
    }

    /// Runs one instance until the ledger has counted `count` messages, then kills it as a crash would
    /// (no commit, no group leave): whatever it had not committed is redelivered to the next one.
    private func runAndCrash(_ harness: IngestHarness, after count: Int) async throws {
        let pipeline = try harness.pipeline()
        let task = Task { try await pipeline.run() }
        let deadline = ContinuousClock.now + .seconds(600)
        while try await harness.scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts") < count,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        pipeline.crash()
        try await task.value
    }

    @Test("accounting adds up, faults are rejected with their reason, aggregates match the ground truth, a crash loses and doubles nothing")
    func replayedDay() async throws {
        let output = try await Self.simulation.value
        let records = output.records
        let faultKinds = Set(output.faults.map(\.kind))
        #expect(faultKinds == Set(FaultKind.allCases), "the heavy preset injects every kind in a day")
        try await IngestHarness.with { harness in
            let clock = ContinuousClock()
            let start = clock.now
            let half = records.count / 2
            try await harness.publish(records[..<half])
            try await runAndCrash(harness, after: half / 2)
            let crashedAt = try await harness.scalar("SELECT COALESCE(sum(count), 0)::int8 FROM ingest_outcome_counts")
            let second = try harness.pipeline()
            let task = Task { try await second.run() }
            try await harness.publish(records[half...])
            try await harness.waitUntilProcessed(records.count)
            second.stop()
            try await task.value
            let elapsed = clock.now - start
            print(
                "replay: \(records.count) records, crash after \(crashedAt), second instance redelivered \(second.handled.redelivered), \(elapsed)"
            )
            #expect(second.handled.redelivered > 0, "the crash left uncommitted work that came back")

            try await checkAccounting(harness, records: records, faults: output.faults)
            try await checkRejections(harness, records: records, faults: output.faults)
            try await checkAggregates(harness, output: output)
            try await checkQuality(harness, faults: output.faults)
            let context = try await harness.drain(.observedContext)
            #expect(!context.isEmpty)
            let decoded = context.compactMap { try? WireCodec.decode(ContextObservation.self, from: $0) }
            #expect(decoded.count == context.count)
            #expect(decoded.contains { $0.temperatureCelsius != nil })
            #expect(decoded.contains { $0.transitDelaySeconds != nil })
        }
    }

    private func checkAccounting(_ harness: IngestHarness, records: [FeedRecord], faults: [InjectedFault]) async throws {
        let report = try await AccountingReport.load(from: harness.database, logger: TestStack.logger)
        for feed in Feed.allCases {
            let counts = try #require(report.feeds[feed.rawValue], "feed \(feed) has accounting")
            let published = records.filter { $0.topic == feed.topic }.count
            let feedFaults = faults.filter { $0.topic == feed.topic }
            #expect(counts.received == published, "\(feed): every published record is received exactly once")
            #expect(counts.accepted + counts.rejected + counts.duplicate == counts.received)
            #expect(counts.duplicate == feedFaults.filter { $0.expected == .duplicate }.count, "\(feed) duplicates")
            var expectedReasons: [String: Int] = [:]
            for fault in feedFaults where fault.expected == .rejected { expectedReasons[fault.reason?.rawValue ?? "?", default: 0] += 1 }
            #expect(counts.rejectedByReason == expectedReasons, "\(feed): rejections by reason")
        }
        let byNeighborhood = report.neighborhoods.values.reduce(0) { $0 + $1.received }
        #expect(byNeighborhood == records.count, "per-neighborhood accounting covers every record")
    }

    private func checkRejections(_ harness: IngestHarness, records: [FeedRecord], faults: [InjectedFault]) async throws {
        let rejected = try await harness.drain(.rejected).map { try WireCodec.decode(RejectedRecord.self, from: $0) }
        // Dead letters go through the outbox: after the crash only the rows whose deletion the
        // crash cut off (one batch at most, 2,000 messages) can be sent twice. Re-sent from the
        // ledger for every redelivered batch, as before, every rejection since the last commit was.
        var sent: [String: Int] = [:]
        for record in rejected { sent["\(record.sourceTopic)/\(record.partition)/\(record.offset)", default: 0] += 1 }
        let sentTwice = sent.values.filter { $0 > 1 }.count
        print("dead letters: \(rejected.count) sent, \(sent.count) distinct, \(sentTwice) sent more than once")
        #expect(sentTwice <= 2_000, "\(sentTwice) dead letters sent more than once")
        var reasonsByOriginal: [String: Set<RejectReason>] = [:]
        for record in rejected { reasonsByOriginal[record.original, default: []].insert(record.reason) }
        let expected = faults.filter { $0.expected == .rejected }
        #expect(!expected.isEmpty)
        var missing = 0
        for fault in expected {
            let sequence = try #require(fault.sequence)
            let original = Data(records[sequence].value).base64EncodedString()
            guard let reasons = reasonsByOriginal[original] else {
                missing += 1
                continue
            }
            #expect(reasons == [try #require(fault.reason)], "\(fault.kind) \(fault.detail) on \(fault.topic)")
        }
        #expect(missing == 0, "every rejected fault lands in obs.rejected")
        // Compared as sets: short truncations of different records can be the same bytes.
        let expectedOriginals = Set(expected.compactMap(\.sequence).map { Data(records[$0].value).base64EncodedString() })
        let extras = Set(rejected.map(\.original)).subtracting(expectedOriginals)
        #expect(
            extras.isEmpty,
            "nothing else is rejected: \(extras.count) unexpected, e.g. \(extras.prefix(3).map { String(decoding: Data(base64Encoded: $0) ?? Data(), as: UTF8.self) })"
        )
    }

    private func checkAggregates(_ harness: IngestHarness, output: SimulationReplay.Output) async throws {
        let observations = try await harness.drain(.observedTraffic).map { try WireCodec.decode(TrafficObservation.self, from: $0) }
        var latest: [String: TrafficObservation] = [:]
        for observation in observations {
            let key = "\(observation.segmentID)@\(observation.eventTime)"
            if let existing = latest[key], existing.revision >= observation.revision {
                if existing.revision == observation.revision {
                    #expect(existing.flowVehiclesPerHour == observation.flowVehiclesPerHour, "a re-sent revision has the same values")
                }
                continue
            }
            latest[key] = observation
        }
        #expect(latest.values.contains { $0.revision > 0 }, "late readings produced corrections")
        let watermarks = try await AggregateStore.loadWatermarks(on: harness.database, logger: TestStack.logger)
        let horizon = try #require(watermarks["traffic"]?.values.min()) - harness.configuration.allowedLatenessMillis

        // Readings ingest must count: every loop/camera record that is neither rejected nor a duplicate copy.
        let skipped = Set(output.faults.filter { $0.expected == .rejected || $0.expected == .duplicate }.compactMap(\.sequence))
        // Until an interval's final revision is due, its latest revision holds the readings published
        // on time (`KnowledgeRule`); from then on, all of them.
        let rule = harness.configuration.knowledge
        var expectedSamples: [String: Int] = [:]
        var onTimeSamples: [String: Int] = [:]
        for (sequence, record) in output.records.enumerated() where !skipped.contains(sequence) {
            guard let key = try harness.trafficKey(of: record) else { continue }
            expectedSamples[key, default: 0] += 1
            if !rule.isLate(eventTime: record.eventTime, publishTime: record.publishTime) { onTimeSamples[key, default: 0] += 1 }
        }
        var lost = 0
        var miscounted = 0
        for (key, samples) in expectedSamples {
            guard let interval = Int64(key.split(separator: "@")[1]), interval + Interval.lengthMillis <= horizon else { continue }
            guard let observation = latest[key] else {
                lost += 1
                continue
            }
            let finalDue = interval <= rule.finalHorizon(watermark: horizon)
            if observation.sampleCount != (finalDue ? samples : onTimeSamples[key] ?? 0) { miscounted += 1 }
        }
        #expect(lost == 0, "every complete interval was emitted")
        #expect(miscounted == 0, "every reading counted exactly once in its interval's latest revision (the final once due)")

        let stuck = Set(output.faults.filter { $0.kind == .stuck }.map { "\($0.key)@\(Interval.start(containing: $0.eventTime))" })
        var compared = 0
        var flowOutliers = 0
        var speedOutliers = 0
        for truth in output.truth {
            let key = "\(truth.segmentID)@\(truth.eventTime)"
            guard !stuck.contains(key), let observation = latest[key] else { continue }
            compared += 1
            let sd = (60 * max(truth.flowVehiclesPerHour, 1) / Double(max(observation.sampleCount, 1))).squareRoot()
            if abs(observation.flowVehiclesPerHour - truth.flowVehiclesPerHour) > 5 * sd + 30 { flowOutliers += 1 }
            if let speed = observation.speedKmh, abs(speed - truth.speedKmh) > 0.15 * truth.speedKmh + 1 { speedOutliers += 1 }
        }
        print("aggregates: \(compared) intervals compared with ground truth, \(flowOutliers) flow and \(speedOutliers) speed outliers")
        let sensed = Set(harness.catalog.sensors.values.map(\.segment))
        let comparable = output.truth.filter { sensed.contains($0.segmentID) && $0.eventTime + Interval.lengthMillis <= horizon }.count
        #expect(compared * 100 >= comparable * 95, "nearly every interval of a segment with sensors is compared (stuck ones are not)")
        #expect(flowOutliers * 1000 <= compared, "flow within measurement noise in at least 99.9% of intervals")
        #expect(speedOutliers * 1000 <= compared, "speed within measurement noise in at least 99.9% of intervals")
    }

    private func checkQuality(_ harness: IngestHarness, faults: [InjectedFault]) async throws {
        let report = try await QualityReport.load(from: harness.database, catalog: harness.catalog, logger: TestStack.logger)
        let stuckLoops = Set(faults.filter { $0.kind == .stuck && $0.topic == .rawLoop }.map(\.subject))
        #expect(!stuckLoops.isEmpty)
        let flagged = Set(report.sensors.filter { $0.stuckEpisodes > 0 }.map(\.sensorID))
        #expect(stuckLoops.isSubset(of: flagged), "every loop with a stuck episode is flagged")
        let dropouts = Set(faults.filter { $0.kind == .dropout }.map(\.subject))
        let incomplete = Set(report.sensors.filter { $0.completeness < 1 }.map(\.sensorID))
        // A dropout at the very start or end of the day is invisible to a span-based rate.
        #expect(dropouts.intersection(incomplete).count * 10 >= dropouts.count * 9, "dropouts lower completeness")
        #expect(report.neighborhoods.count == harness.catalog.neighborhoods.count)
    }
}
