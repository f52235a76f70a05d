import CablecarDomain
import CablecarSimulation
import Foundation
import Testing

@testable import CablecarIngest

/// Numbers at the extremes, in records and in the Kafka timestamps they are judged against:
/// every one is rejected with a reason (a dead letter), none traps.
@Suite("Untrusted numbers in raw records")
struct UntrustedNumberValidationTests {
    let base = ValidationTests()
    static let extremes: [Int64] = [.min, .min + 1, -1, 0, .max - 1, .max]

    func reason(_ bytes: [UInt8], _ feed: Feed = .loop, reference: EpochMillis) -> RejectReason? {
        if case .failure(let rejection) = base.validator.validate(bytes, feed: feed, referenceTime: reference) { return rejection.reason }
        return nil
    }

    @Test func anyKafkaTimestampIsJudgedWithoutOverflow() {
        for reference in Self.extremes {
            for eventTime in ["\(Int64.max)", "\(Int64.min)", "9007199254740991", "-9007199254740991", "\(base.now)"] {
                // Must return (accepted or rejected); a trap would end the test process.
                _ = reason(base.loop(["event_time": eventTime]), reference: reference)
            }
        }
        #expect(reason(base.loop(), reference: .max) == nil, "a far-future publish time makes nothing future")
        #expect(reason(base.loop(), reference: .min) == .futureTimestamp)
    }

    @Test func outOfRangeNumbersAreRejectedWithAReason() {
        let cases: [[String: String]] = [
            ["event_time": "\(Int64.max)"], ["event_time": "\(Int64.min)"], ["event_time": "1e300"], ["event_time": "-1"],
            ["event_time": "\"NaN\""], ["event_time": "0"], ["event_time": "4102444800001"],
            ["interval_s": "9007199254740991"], ["interval_s": "2147483648"], ["interval_s": "-1"], ["interval_s": "86401"],
            ["vehicle_count": "9007199254740991"], ["vehicle_count": "1e300"], ["speed_kmh": "1e999"], ["occupancy": "\"Infinity\""],
        ]
        for overrides in cases {
            let rejected = reason(base.loop(overrides), reference: base.now)
            #expect(rejected != nil, "\(overrides) was accepted")
        }
        #expect(reason(base.loop(["interval_s": "86400"]), reference: base.now) == nil)
    }

    @Test func freeTextIdentifiersWithNULAreRejected() throws {
        let gps = TransitPosition(
            vehicleID: "bus\u{0}1", routeID: base.route.id, eventTime: base.now, segmentID: base.route.segments[0], distanceMeters: 10,
            speedKmh: 20, delaySeconds: -5)
        #expect(reason(try WireCodec.encode(gps), .gps, reference: base.now) == .outOfRange)
        let weather = WeatherReport(
            stationID: String(repeating: "s", count: 201), neighborhood: base.neighborhood, eventTime: base.now, temperatureCelsius: 10,
            precipitationMmPerHour: 0, visibilityMeters: 1000)
        #expect(reason(try WireCodec.encode(weather), .weather, reference: base.now) == .outOfRange)
    }

    @Test func mutatedRecordsOfEveryFeedAreJudgedNeverACrash() throws {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let extremes = ["9223372036854775807", "-9223372036854775808", "1e309", "NaN", "\"\\u0000\"", "null", "[]", "18446744073709551616"]
        let seeds: [(Feed, [UInt8])] = [
            (.loop, base.loop()),
            (
                .gps,
                try WireCodec.encode(
                    TransitPosition(
                        vehicleID: "bus-1", routeID: base.route.id, eventTime: base.now, segmentID: base.route.segments[0],
                        distanceMeters: 10,
                        speedKmh: 20, delaySeconds: -5))
            ),
            (
                .weather,
                try WireCodec.encode(
                    WeatherReport(
                        stationID: "w", neighborhood: base.neighborhood, eventTime: base.now, temperatureCelsius: 10,
                        precipitationMmPerHour: 0,
                        visibilityMeters: 1000))
            ),
        ]
        var rejected = 0
        for (feed, seed) in seeds {
            for _ in 0..<2000 {
                var bytes = seed
                switch next() % 3 {
                case 0:
                    bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
                case 1:
                    if let start = bytes.firstIndex(where: { (48...57).contains($0) }) {
                        var end = start
                        while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
                        bytes.replaceSubrange(start..<end, with: Array(extremes[Int(next() % UInt64(extremes.count))].utf8))
                    }
                default:
                    bytes = Array(bytes.prefix(Int(next() % UInt64(bytes.count + 1))))
                }
                let reference = Int64(bitPattern: next())
                if case .failure = base.validator.validate(bytes, feed: feed, referenceTime: reference) { rejected += 1 }
            }
        }
        #expect(rejected > 0)
    }
}
