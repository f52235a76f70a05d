import CablecarDomain
import Foundation
import Testing

@testable import CablecarSimulation

@Suite("Fault injection")
struct FaultInjectionTests {
    static let rates = FeedRates(loopIntervalSeconds: 60, cameraIntervalSeconds: 60, gpsIntervalSeconds: 30)

    @Test func everyKindIsInjectedWithItsExpectedOutcome() throws {
        let output = try Fixtures.run(seed: 21, faults: .heavy, rates: Self.rates)
        let kinds = Set(output.faults.map(\.kind))
        #expect(kinds == Set(FaultKind.allCases))
        for fault in output.faults {
            switch fault.kind {
            case .dropout: #expect(fault.expected == .missing && fault.sequence == nil)
            case .stuck: #expect(fault.expected == .acceptedFlagged)
            case .duplicate: #expect(fault.expected == .duplicate && fault.reason == nil)
            case .late: #expect(fault.expected == .acceptedCorrection)
            case .outOfOrder: #expect(fault.expected == .accepted)
            case .malformed, .truncated: #expect(fault.expected == .rejected && fault.reason == .malformedJSON)
            case .futureTimestamp: #expect(fault.expected == .rejected && fault.reason == .futureTimestamp)
            case .unknownID:
                #expect(fault.expected == .rejected)
                #expect([.unknownSensor, .unknownRoute, .unknownNeighborhood, .unknownSegment].contains(fault.reason))
            case .impossibleValue:
                #expect([.outOfRange, .notFinite, .malformedJSON].contains(fault.reason))
            case .schemaViolation:
                #expect([.missingField, .wrongType, .unsupportedVersion].contains(fault.reason))
            }
            #expect((fault.expected == .rejected) == (fault.reason != nil))
        }
        let reasons = Set(output.faults.compactMap(\.reason))
        for reason in [
            RejectReason.malformedJSON, .unsupportedVersion, .missingField, .wrongType, .notFinite, .outOfRange, .unknownSensor,
            .unknownRoute, .futureTimestamp,
        ] {
            #expect(reasons.contains(reason), "no fault expects \(reason.rawValue)")
        }
    }

    /// Every emitted record is rejected for exactly the reason the fault log gives, and
    /// every record the log does not name as rejected passes.
    @Test func faultLogMatchesWhatWasEmitted() throws {
        let output = try Fixtures.run(seed: 22, faults: .heavy, rates: Self.rates)
        let validator = ReferenceValidator(city: Fixtures.city)
        var logged: [Int: InjectedFault] = [:]
        for fault in output.faults {
            guard let sequence = fault.sequence else { continue }
            #expect(logged[sequence] == nil, "two faults on record \(sequence)")
            logged[sequence] = fault
        }
        var mismatches: [String] = []
        for (sequence, record) in output.records.enumerated() {
            let expected = logged[sequence].flatMap { $0.expected == .rejected ? $0.reason : nil }
            let actual = validator.rejection(record)
            if expected != actual {
                mismatches.append(
                    "#\(sequence) \(record.topic.rawValue) expected \(expected?.rawValue ?? "accept") got \(actual?.rawValue ?? "accept"): \(String(decoding: record.value, as: UTF8.self))"
                )
            }
            if let fault = logged[sequence] {
                #expect(fault.topic == record.topic && fault.key == record.keyString && fault.publishTime == record.publishTime)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }

    @Test func delaysDuplicatesAndStuckReadingsLookLikeTheirNames() throws {
        let output = try Fixtures.run(seed: 23, faults: .heavy, rates: Self.rates)
        var firstSeen: [[UInt8]: Int] = [:]
        for (sequence, record) in output.records.enumerated() where firstSeen[record.value] == nil { firstSeen[record.value] = sequence }
        let faultsBySequence = Dictionary(uniqueKeysWithValues: output.faults.compactMap { fault in fault.sequence.map { ($0, fault) } })
        let decoder = WireCodec.decoder()
        var stuck: [LoopDetectorReading] = []
        for (sequence, record) in output.records.enumerated() {
            switch faultsBySequence[sequence]?.kind {
            case .duplicate?:
                #expect((firstSeen[record.value] ?? sequence) < sequence, "a duplicate must repeat an earlier record's exact bytes")
            case .late?:
                #expect(record.publishTime - record.eventTime >= 10 * 60_000)
            case .outOfOrder?:
                #expect(record.publishTime - record.eventTime >= 70_000)
            case .stuck? where record.topic == .rawLoop:
                stuck.append(try decoder.decode(LoopDetectorReading.self, from: Data(record.value)))
            default:
                break
            }
        }
        // Within an episode a stuck sensor repeats exactly the same values, minute after minute.
        stuck.sort { ($0.sensorID, $0.eventTime) < ($1.sensorID, $1.eventTime) }
        var repeats = 0
        for (a, b) in zip(stuck, stuck.dropFirst()) where a.sensorID == b.sensorID && b.eventTime - a.eventTime == 60_000 {
            #expect(a.vehicleCount == b.vehicleCount && a.speedKmh == b.speedKmh && a.occupancy == b.occupancy)
            repeats += 1
        }
        #expect(repeats > 10)
    }

    /// Per feed: faulted run = clean run − dropped readings + duplicate copies, exactly.
    @Test func recordCountsAddUp() throws {
        let clean = try Fixtures.run(seed: 24, rates: Self.rates)
        let faulty = try Fixtures.run(seed: 24, faults: .heavy, rates: Self.rates)
        for topic in Topic.rawFeeds {
            let cleanCount = clean.records.filter { $0.topic == topic }.count
            let faultyCount = faulty.records.filter { $0.topic == topic }.count
            let dropped = faulty.faults.filter { $0.topic == topic && $0.kind == .dropout }.count
            let duplicated = faulty.faults.filter { $0.topic == topic && $0.kind == .duplicate }.count
            #expect(faultyCount == cleanCount - dropped + duplicated, "\(topic.rawValue)")
        }
        let loopDropouts = faulty.faults.filter { $0.topic == .rawLoop && $0.kind == .dropout }
        #expect(!loopDropouts.isEmpty)
        // A dropped reading is really absent: no loop record from that sensor at that time.
        let decoder = WireCodec.decoder()
        let present = Set(
            faulty.records.filter { $0.topic == .rawLoop }.compactMap {
                try? decoder.decode(LoopDetectorReading.self, from: Data($0.value))
            }.map { "\($0.sensorID)@\($0.eventTime)" })
        #expect(loopDropouts.allSatisfy { !present.contains("\($0.subject)@\($0.eventTime)") })
    }

    @Test func summaryCountsWhatTheSinkReceived() async throws {
        let configuration = SimulationConfiguration(
            city: Fixtures.city, start: Fixtures.monday, days: 1, seed: 25, faults: .light, rates: Fixtures.coarse)
        let sink = MemoryFeedSink()
        let summary = try await SimulationReplay.run(configuration, into: sink)
        #expect(sink.isFinished)
        #expect(summary.totalRecords == sink.records.count)
        for topic in Topic.rawFeeds { #expect(summary.recordsPerTopic[topic] == sink.records.filter { $0.topic == topic }.count) }
        #expect(summary.truthRows == Fixtures.city.segments.count * 288)
        #expect(FaultConfiguration.none.isClean)
        #expect(try Fixtures.run(seed: 25).faults.isEmpty)
    }

    @Test func tamperingEditsOneField() throws {
        let bytes = Array(#"{"a":1,"b":"x","c":[1,2],"d":2.5}"#.utf8)
        #expect(
            JSONTamper.replacing("b", with: "null", in: bytes).map { String(decoding: $0, as: UTF8.self) }
                == #"{"a":1,"b":null,"c":[1,2],"d":2.5}"#)
        #expect(
            JSONTamper.replacing("c", with: "3", in: bytes).map { String(decoding: $0, as: UTF8.self) } == #"{"a":1,"b":"x","c":3,"d":2.5}"#
        )
        #expect(JSONTamper.removing("a", in: bytes).map { String(decoding: $0, as: UTF8.self) } == #"{"b":"x","c":[1,2],"d":2.5}"#)
        #expect(JSONTamper.removing("d", in: bytes).map { String(decoding: $0, as: UTF8.self) } == #"{"a":1,"b":"x","c":[1,2]}"#)
        #expect(JSONTamper.replacing("zz", with: "1", in: bytes) == nil)
    }
}
