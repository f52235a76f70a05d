import CablecarDomain
import CablecarFeatures
import Foundation
import Testing

@testable import CablecarFeatureStore

/// obs.* messages the pipeline cannot store or compute with are skipped (counted, logged,
/// committed) instead of trapping on an int4 conversion or poisoning a transaction.
@Suite("Observation admission")
struct ObservationAdmissionTests {
    static func traffic(
        segment: String = "s-a", eventTime: EpochMillis = 1_740_988_800_000, ingestTime: EpochMillis = 1_740_988_860_000,
        flow: Double = 100, samples: Int = 3, revision: Int = 1
    ) -> TrafficObservation {
        TrafficObservation(
            segmentID: segment, neighborhood: "n", eventTime: eventTime, flowVehiclesPerHour: flow, speedKmh: 40, occupancy: 0.1,
            sampleCount: samples, revision: revision, ingestTime: ingestTime)
    }

    @Test func storableObservationsAreAdmitted() {
        #expect(ObservationAdmission.problem(Self.traffic()) == nil)
        #expect(ObservationAdmission.problem(Self.traffic(ingestTime: 0)) == nil, "an unknown ingest time is 0")
    }

    @Test func hostileFieldsAreRefusedWithAReason() {
        let hostile: [TrafficObservation] = [
            Self.traffic(eventTime: .max), Self.traffic(eventTime: .min), Self.traffic(eventTime: 0), Self.traffic(ingestTime: .max),
            Self.traffic(ingestTime: -1), Self.traffic(samples: Int(Int32.max) + 1), Self.traffic(revision: .max),
            Self.traffic(revision: -1), Self.traffic(flow: .nan), Self.traffic(flow: .infinity), Self.traffic(segment: "a\u{0}"),
            Self.traffic(segment: ""), Self.traffic(segment: String(repeating: "s", count: 201)),
        ]
        for observation in hostile {
            #expect(ObservationAdmission.problem(observation) != nil, "\(observation)")
        }
        let context = ContextObservation(
            neighborhood: "n", eventTime: 1_740_988_800_000, temperatureCelsius: nil, precipitationMmPerHour: nil, visibilityMeters: nil,
            activeScheduledEvents: Int.max, activeIncidents: 0, transitDelaySeconds: nil, transitReports: 0, revision: 1,
            ingestTime: 1_740_988_800_000)
        #expect(ObservationAdmission.problem(context) != nil)
    }

    @Test func retrievalCountsInstantsWithoutAllocatingThem() throws {
        let century = SnapshotRequest(start: EpochBounds.earliest, end: EpochBounds.latest)
        #expect(try FeatureComputer.instantCount(of: century) == Int((EpochBounds.latest - EpochBounds.earliest) / Interval.lengthMillis))
        for (start, end, step) in [
            (Int64.min, Int64.max, Interval.lengthMillis), (0, Int64.max, Interval.lengthMillis),
            (EpochBounds.earliest, EpochBounds.latest, Int64.max), (EpochBounds.earliest, EpochBounds.latest, -Interval.lengthMillis),
            (EpochBounds.latest, EpochBounds.earliest, Interval.lengthMillis),
        ] {
            #expect(throws: FeatureError.self) {
                try FeatureComputer.instantCount(of: SnapshotRequest(start: start, end: end, stepMillis: step))
            }
        }
    }
}
