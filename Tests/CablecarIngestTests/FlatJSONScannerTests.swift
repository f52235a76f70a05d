import CablecarDomain
import CablecarSimulation
import CablecarTestSupport
import Foundation
import Testing

@testable import CablecarIngest

/// The scanner is only a faster reading: every record must get exactly the verdict (reason, detail,
/// event time, neighborhood, decoded record) that the `JSONSerialization` path gives it.
@Suite("Flat JSON scanner")
struct FlatJSONScannerTests {
    static let simulation = ComputedOnce {
        try SimulationReplay.collect(SimulationConfiguration(city: IngestHarness.city, days: 1, seed: 23, faults: .heavy))
    }
    static let catalog = CityCatalog(city: IngestHarness.city)
    let validator = RecordValidator(catalog: catalog, futureToleranceMillis: 300_000)
    let now: EpochMillis = 1_741_017_600_000

    @Test func simulatedHeavyFaultDayGetsIdenticalVerdicts() async throws {
        let records = try await Self.simulation.value.records
        try #require(records.count > 10_000)
        var scanned = 0
        var mismatches: [String] = []
        var reasons: Set<RejectReason> = []
        for record in records {
            let feed = try #require(Feed(topic: record.topic.rawValue))
            let fast = validator.validate(record.value, feed: feed, referenceTime: record.publishTime)
            let reference = validator.validateWithFoundation(record.value, feed: feed, referenceTime: record.publishTime)
            if fast != reference, mismatches.count < 5 {
                mismatches.append("\(String(decoding: record.value, as: UTF8.self)): \(fast) vs \(reference)")
            }
            if case .failure(let rejection) = reference { reasons.insert(rejection.reason) }
            if FlatJSONScanner.scan(record.value) != nil { scanned += 1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(reasons.contains(.malformedJSON) && reasons.contains(.wrongType) && reasons.contains(.outOfRange), "\(reasons)")
        // The fast path must actually carry the load, or the comparison above proves little.
        #expect(Double(scanned) > 0.97 * Double(records.count), "scanned \(scanned) of \(records.count)")
    }

    func loop(_ overrides: [String: String]) -> [UInt8] {
        let sensor = Self.catalog.city.sensors.first { $0.kind == .loopDetector }!
        var fields: [String: String] = [
            "v": "1", "sensor_id": "\"\(sensor.id)\"", "event_time": "\(now)", "interval_s": "60", "vehicle_count": "12",
            "occupancy": "0.12", "speed_kmh": "43.5",
        ]
        for (key, value) in overrides { fields[key] = value }
        return Array(("{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}").utf8)
    }

    static let awkwardValues = [
        "NaN", "Infinity", "-Infinity", "\"NaN\"", "\"inf\"", "\"12\"", "true", "false", "null", "[]", "[1]", "[\"a\"]", "{}",
        "{\"a\":1}", "-0", "-0.0", "0.0", "01", "1.", ".5", "+1", "1e2", "1E+2", "1e-2", "1e400", "1e-400", "12.0", "12.5",
        "123456789012345678901234567890", "9007199254740993", "-12", "1.7976931348623157e308", "\"a\\u0041\"", "\"\\ud800\"",
        "\"tab\\tnew\\nline\\/\"", "\"é\"", "\"\u{01}\"", "\"unterminated", "", "1 2",
    ]

    @Test(arguments: ["v", "event_time", "interval_s", "occupancy", "sensor_id", "extra"])
    func awkwardValuesGetIdenticalVerdicts(field: String) {
        for value in Self.awkwardValues {
            let bytes = loop([field: value])
            let fast = validator.validate(bytes, feed: .loop, referenceTime: now)
            let reference = validator.validateWithFoundation(bytes, feed: .loop, referenceTime: now)
            #expect(fast == reference, "\(field)=\(value)")
        }
    }

    @Test func awkwardDocumentsGetIdenticalVerdicts() {
        let clean = String(decoding: loop([:]), as: UTF8.self)
        let documents = [
            clean, " \n\(clean)\t ", clean + "x", clean + "}", String(clean.dropLast()), String(clean.prefix(20)), "[\(clean)]", "",
            "{}", "null", "42", "\"text\"", "{\"v\":1,\"v\":2}", clean.replacingOccurrences(of: ",", with: ",,"),
            clean.replacingOccurrences(of: ":", with: " : "), "\u{FEFF}" + clean, "{\"v\":1,}", "{,}", "{\"v\" 1}",
        ]
        for feed in Feed.allCases {
            for document in documents {
                let bytes = Array(document.utf8)
                #expect(
                    validator.validate(bytes, feed: feed, referenceTime: now)
                        == validator.validateWithFoundation(bytes, feed: feed, referenceTime: now), "\(feed): \(document)")
            }
        }
    }

    @Test func bareNonFiniteTokensAndTruncationAreMalformed() {
        for value in ["NaN", "Infinity", "-Infinity"] {
            guard case .failure(let rejection) = validator.validate(loop(["occupancy": value]), feed: .loop, referenceTime: now) else {
                Issue.record("\(value) was accepted")
                continue
            }
            #expect(rejection.reason == .malformedJSON)
        }
        let clean = loop([:])
        for length in [1, clean.count / 2, clean.count - 1] {
            guard case .failure(let rejection) = validator.validate(Array(clean.prefix(length)), feed: .loop, referenceTime: now) else {
                Issue.record("a record truncated to \(length) bytes was accepted")
                continue
            }
            #expect(rejection.reason == .malformedJSON)
        }
    }

    @Test func scannerReadsEscapesAndSegmentLists() throws {
        let object = try #require(FlatJSONScanner.scan(Array(#"{"a":"x\"y\\z\/w\n","segments":["s1", "s2"],"n":-12.5,"z":null}"#.utf8)))
        guard case .string(let text) = object["a"], case .strings(let list) = object["segments"], case .number(let number) = object["n"],
            case .null = object["z"]
        else {
            Issue.record("unexpected reading \(object)")
            return
        }
        #expect(text == "x\"y\\z/w\n")
        #expect(list == ["s1", "s2"])
        #expect(number == -12.5)
    }
}
