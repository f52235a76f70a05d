import CablecarDomain
import Foundation
import Testing

/// Random and mutated bytes through the decoder of every Kafka message type: each either
/// decodes or throws; none may crash the process.
@Suite("Decoder fuzzing")
struct DecoderFuzzTests {
    /// A deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [[UInt8]] = [
        "9223372036854775807", "-9223372036854775808", "1e309", "NaN", "\"\\u0000\"", "null", "[]", "{}", "\"", "0.5", "-0",
        "18446744073709551616",
    ].map { Array($0.utf8) }

    /// Mutations of `seed`: byte flips, truncations, and numbers replaced by extreme ones.
    static func mutations(of seed: [UInt8], count: Int, generator: inout Generator) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for _ in 0..<count {
            var bytes = seed
            switch generator.next() % 4 {
            case 0 where !bytes.isEmpty:
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            case 1:
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
            case 2:
                // Replace the first run of digits with an extreme token.
                if let start = bytes.firstIndex(where: { (48...57).contains($0) }) {
                    var end = start
                    while end < bytes.count, (48...57).contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
                    bytes.replaceSubrange(start..<end, with: interesting[Int(generator.next() % UInt64(interesting.count))])
                }
            default:
                bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            result.append(bytes)
        }
        return result
    }

    static func seeds() throws -> [(String, [UInt8], ([UInt8]) throws -> Void)] {
        let time: EpochMillis = 1_704_067_200_000
        func entry<T: Codable>(_ value: T) throws -> (String, [UInt8], ([UInt8]) throws -> Void) {
            ("\(T.self)", try WireCodec.encode(value), { _ = try WireCodec.decode(T.self, from: $0) })
        }
        return [
            try entry(
                TrafficObservation(
                    segmentID: "s", neighborhood: "n", eventTime: time, flowVehiclesPerHour: 1, speedKmh: 2, occupancy: 0.1, sampleCount: 3,
                    revision: 1, ingestTime: time)),
            try entry(
                ContextObservation(
                    neighborhood: "n", eventTime: time, temperatureCelsius: 1, precipitationMmPerHour: 0, visibilityMeters: 100,
                    activeScheduledEvents: 1, activeIncidents: 0, transitDelaySeconds: 3, transitReports: 1, revision: 1, ingestTime: time)),
            try entry(
                TrainingRequest(requestID: "r", eventTime: time, start: time, end: time + 86_400_000, reason: .manual, requestedBy: "t")),
            try entry(
                ModelEvent(
                    eventID: "e", eventTime: time, kind: .rolledBack, modelName: "m", modelVersion: 2, fromStage: .archived,
                    toStage: .production,
                    actor: "a", reason: "r", runID: "x", artifactSHA256: nil)),
            try entry(
                LoopDetectorReading(sensorID: "l", eventTime: time, intervalSeconds: 60, vehicleCount: 3, occupancy: 0.1, speedKmh: 40)),
            try entry(CameraCount(sensorID: "c", eventTime: time, intervalSeconds: 60, cars: 1, trucks: 0, buses: 0, bicycles: 2)),
            try entry(
                TransitPosition(
                    vehicleID: "v", routeID: "r", eventTime: time, segmentID: "s", distanceMeters: 1, speedKmh: 2, delaySeconds: 3)),
            try entry(
                WeatherReport(
                    stationID: "w", neighborhood: "n", eventTime: time, temperatureCelsius: 1, precipitationMmPerHour: 0,
                    visibilityMeters: 9)),
        ]
    }

    @Test func everyMessageDecoderSurvivesMutatedAndRandomBytes() throws {
        var generator = Generator(state: 17)
        var decoded = 0
        var refused = 0
        for (name, seed, decode) in try Self.seeds() {
            try decode(seed)  // the seed itself decodes
            for bytes in Self.mutations(of: seed, count: 1500, generator: &generator) {
                do {
                    try decode(bytes)
                    decoded += 1
                } catch {
                    refused += 1
                }
            }
            _ = name
        }
        #expect(refused > 0 && decoded > 0, "the mutations exercise both paths (\(decoded) decoded, \(refused) refused)")
    }
}
