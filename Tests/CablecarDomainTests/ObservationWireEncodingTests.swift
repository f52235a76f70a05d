import CablecarDomain
import Foundation
import Testing

/// The hand-written JSON of `obs.*` messages must be exactly what `WireCodec` writes, for every
/// optional present or absent and for awkward numbers and strings.
@Suite struct ObservationWireEncodingTests {
    static let numbers: [Double] = [0, -0.0, 1e-7, 0.1 + 0.2, 42, 123_456_789.125, 1e21, -3.5]

    @Test func trafficObservationsMatchWireCodec() throws {
        for (index, value) in Self.numbers.enumerated() {
            for optionals in 0..<4 {
                let observation = TrafficObservation(
                    segmentID: "seg-\(index)-\"q\"\\/", neighborhood: "Financial District", eventTime: 1_700_000_000_000 + Int64(index),
                    flowVehiclesPerHour: value, speedKmh: optionals & 1 == 0 ? value * 2 : nil,
                    occupancy: optionals & 2 == 0 ? value / 3 : nil,
                    sampleCount: index, revision: optionals, ingestTime: -Int64(index))
                #expect(try observation.wireBytes() == (try WireCodec.encode(observation)))
            }
        }
    }

    @Test func contextObservationsMatchWireCodec() throws {
        for (index, value) in Self.numbers.enumerated() {
            for optionals in 0..<16 {
                let observation = ContextObservation(
                    neighborhood: "Mission ñ", eventTime: Int64(index) * 300_000,
                    temperatureCelsius: optionals & 1 == 0 ? value : nil, precipitationMmPerHour: optionals & 2 == 0 ? value + 1 : nil,
                    visibilityMeters: optionals & 4 == 0 ? value * 1000 : nil, activeScheduledEvents: index, activeIncidents: optionals,
                    transitDelaySeconds: optionals & 8 == 0 ? -value : nil, transitReports: index * 3, revision: index, ingestTime: 7)
                #expect(try observation.wireBytes() == (try WireCodec.encode(observation)))
            }
        }
    }

    @Test func rejectedRecordsMatchWireCodec() throws {
        let details = [
            "speed_kmh is -3, expected 0...200", "tab\there, newline\nthere, \u{08}\u{0C}\u{01} and \"quotes\" \\ /", "Ünïcode ✓",
        ]
        for (index, detail) in details.enumerated() {
            for position in [(Int32(2), Int64(99)), nil] {
                let record = RejectedRecord(
                    sourceTopic: "raw.loop", partition: position?.0, offset: position?.1, reason: RejectReason.allCases[index],
                    detail: detail, original: Data("{\"v\":1".utf8).base64EncodedString(), eventTime: 5, rejectedAt: 6)
                #expect(try record.wireBytes() == (try WireCodec.encode(record)))
            }
        }
    }

    @Test func extremeIntegersMatchWireCodec() throws {
        for value in [Int64.min, Int64.min + 1, -10, -1, 0, 9, 10, 99, 100, Int64.max - 1, Int64.max] {
            let record = RejectedRecord(
                sourceTopic: "raw.loop", partition: Int32(truncatingIfNeeded: value), offset: value, reason: .outOfRange, detail: "",
                original: "", eventTime: value, rejectedAt: value)
            #expect(try record.wireBytes() == (try WireCodec.encode(record)))
        }
    }

    @Test func nonFiniteNumbersAreRefusedLikeWireCodec() {
        let observation = TrafficObservation(
            segmentID: "s", neighborhood: "n", eventTime: 0, flowVehiclesPerHour: .nan, speedKmh: nil, occupancy: nil, sampleCount: 0,
            revision: 0, ingestTime: 0)
        #expect(throws: (any Error).self) { try WireCodec.encode(observation) }
        #expect(throws: WireEncodingError.self) { try observation.wireBytes() }
    }
}
