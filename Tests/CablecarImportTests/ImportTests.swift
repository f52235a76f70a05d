import CablecarDomain
import CablecarSimulation
import Foundation
import Testing

@testable import CablecarImport

private let mappingCSV = """
    detector_id,segment_id,neighborhood,lanes,free_flow_speed_kmh,length_m,upstream,downstream,note
    d1,s1,north,2,60,300,,s2,first
    d2,s1,north,,,,,,same segment
    d3,s2,south,1,40,150,,,"quoted, with comma"

    """

@Suite struct MappingTests {
    @Test func readsSegmentsAndDetectors() throws {
        let mapping = try DetectorMapping(csv: mappingCSV)
        #expect(mapping.segmentOfDetector == ["d1": "s1", "d2": "s1", "d3": "s2"])
        #expect(mapping.segments.map(\.id) == ["s1", "s2"])
        #expect(mapping.segments[0].lanes == 2)
        #expect(mapping.segments[0].freeFlowSpeedKmh == 60)
        #expect(mapping.segments[1].lengthMeters == 150)
    }

    @Test func refusesMissingColumnAndRepeatedDetector() {
        #expect(throws: ImportError.missingColumn(file: "mapping", column: "neighborhood")) {
            try DetectorMapping(csv: "detector_id,segment_id\nd1,s1\n")
        }
        #expect(throws: ImportError.self) { try DetectorMapping(csv: "detector_id,segment_id,neighborhood\nd1,s1,a\nd1,s2,a\n") }
        #expect(throws: ImportError.self) { try DetectorMapping(csv: "detector_id,segment_id,neighborhood,lanes\nd1,s1,a,-2\n") }
    }

    @Test func generatesAValidCityWithLinksBothWays() throws {
        let city = try ImportedCity.make(name: "Test", timeZone: "America/Los_Angeles", mapping: DetectorMapping(csv: mappingCSV))
        try city.validate()
        #expect(city.neighborhoods.map(\.id) == ["north", "south"])
        #expect(city.sensors.map(\.id) == ["d1", "d2", "d3"])
        #expect(city.sensors.allSatisfy { $0.kind == .loopDetector })
        #expect(city.segments.first { $0.id == "s2" }?.upstream == ["s1"])
        let decoded = try JSONDecoder().decode(CityDefinition.self, from: ImportedCity.json(city))
        #expect(decoded == city)
    }

    @Test func refusesAnUnknownTimeZone() throws {
        #expect(throws: ImportError.self) {
            try ImportedCity.make(name: "Test", timeZone: "Mars/Olympus", mapping: DetectorMapping(csv: mappingCSV))
        }
    }
}

@Suite struct ReadingsTests {
    let mapping: DetectorMapping
    init() throws { mapping = try DetectorMapping(csv: mappingCSV) }

    @Test func parsesTimesWithOffsets() {
        #expect(ISO8601Instant.parse("2024-04-18T00:00:00-07:00") == 1_713_423_600_000)
        #expect(ISO8601Instant.parse("2024-04-18T07:00Z") == 1_713_423_600_000)
        #expect(ISO8601Instant.parse("2024-02-29T00:00:00+01:00") == 1_709_161_200_000)
        #expect(ISO8601Instant.parse("2024-04-18T00:00:00") == nil)
        #expect(ISO8601Instant.parse("2023-02-29T00:00:00Z") == nil)
        #expect(ISO8601Instant.parse("2024-04-18T24:00:00Z") == nil)
    }

    @Test func rejectsBadRowsWithLineAndReason() throws {
        let csv = """
            detector_id,interval_start,interval_s,count,speed_kmh,occupancy,extra
            d1,2024-04-18T00:00:00Z,900,12,55.5,0.1,x
            d1,2024-04-18T00:00:00Z,900,13,,,duplicate
            d9,2024-04-18T00:00:00Z,900,1,,,unknown
            d2,yesterday,900,1,,,time
            d2,2024-04-18T00:00:00Z,900,-1,,,negative
            d2,2024-04-18T00:15:00Z,900,5,900,,speed
            d2,2024-04-18T00:30:00Z,900,5,,1.5,occupancy
            d2,2024-04-18T00:45:00Z,700,5,,,interval
            d2,2024-04-18T01:00:00Z,900,,,,missing
            d2,2024-04-18T01:00:00Z,900,4.5,,,fraction
            d3,2024-04-18T00:07:00Z,900,5,,,unaligned
            d3,2024-04-18T01:00:00Z,900,5
            d3,2024-04-18T01:00:00+00:00,900,7,,,ok

            """
        let result = try ReadingsImport(csv: csv, mapping: mapping)
        #expect(result.rowsRead == 13)
        #expect(result.rows.map(\.line) == [2, 14])
        #expect(result.rows.count + result.rejections.count == result.rowsRead)
        let reasons = result.rejections.map { "\($0.line):\($0.reason.rawValue)" }
        #expect(
            reasons == [
                "3:duplicate", "4:unknown_detector", "5:unparseable", "6:out_of_range", "7:out_of_range", "8:out_of_range",
                "9:out_of_range", "10:missing_value", "11:unparseable", "12:out_of_range", "13:wrong_field_count",
            ])
        #expect(result.rejections[0].detail.contains("line 2"))
        #expect(result.rows[0].speedKmh == 55.5 && result.rows[1].speedKmh == nil)
    }

    @Test func refusesAFileWithoutARequiredColumn() {
        #expect(throws: ImportError.missingColumn(file: "readings", column: "count")) {
            try ReadingsImport(csv: "detector_id,interval_start,interval_s\n", mapping: mapping)
        }
        #expect(throws: ImportError.missingColumn(file: "readings", column: "interval_s")) {
            try ReadingsImport(csv: "detector_id,interval_start,count\n", mapping: mapping)
        }
    }

    @Test func aFixedIntervalReplacesTheColumn() throws {
        let result = try ReadingsImport(
            csv: "detector_id,interval_start,count\nd1,2024-04-18T00:01:00Z,3\n", mapping: mapping, fixedIntervalSeconds: 60)
        #expect(result.rows.first?.intervalSeconds == 60)
    }
}

@Suite struct FeedTests {
    @Test func aLongReadingIsHeldOverTheFiveMinuteIntervalsAfterItsEnd() throws {
        let mapping = try DetectorMapping(csv: mappingCSV)
        let csv = "detector_id,interval_start,interval_s,count\nd3,2024-04-18T00:00:00Z,900,30\nd1,2024-04-18T00:00:00Z,300,7\n"
        let feed = try ImportedFeed(try ReadingsImport(csv: csv, mapping: mapping), mapping: mapping)
        #expect(feed.rowsProduced == 2)
        #expect(feed.records.count == 4)
        #expect(feed.records.allSatisfy { $0.topic == .rawLoop })
        let start: EpochMillis = 1_713_398_400_000
        let long = feed.records.filter { $0.keyString == "s2" }
        #expect(long.map(\.eventTime) == [start + 900_000, start + 1_200_000, start + 1_500_000])
        #expect(long.map(\.publishTime) == long.map(\.eventTime))
        let reading = try WireCodec.decode(LoopDetectorReading.self, from: long[1].value)
        #expect(reading.vehicleCount == 30 && reading.intervalSeconds == 900 && reading.sensorID == "d3")
        #expect(reading.speedKmh == 40)
        let short = feed.records.filter { $0.keyString == "s1" }
        #expect(short.map(\.eventTime) == [start] && short.map(\.publishTime) == [start + 300_000])
        #expect(feed.records.first?.publishTime == start + 300_000)
        #expect(zip(feed.records, feed.records.dropFirst()).allSatisfy { $0.publishTime <= $1.publishTime })
    }
}

/// No look-ahead: ingest dates a five-minute interval's observation at the interval's end, so a
/// reading must never land in an interval that ends before the reading does, and a reading longer
/// than five minutes in none that it overlaps (features issued inside it would see its mean).
@Suite struct LookAheadTests {
    static let intervals = [10, 60, 100, 300, 600, 900, 1_800, 3_600]

    @Test(arguments: intervals) func noReadingIsVisibleBeforeItEnds(intervalSeconds: Int) {
        let day: EpochMillis = 1_713_398_400_000
        let step = EpochMillis(min(intervalSeconds, 300)) * 1_000
        for start in stride(from: day, to: day + 3_600_000, by: Int(step)) {
            let end = start + EpochMillis(intervalSeconds) * 1_000
            let placements = IntervalPlan.placements(start: start, intervalSeconds: intervalSeconds)
            #expect(!placements.isEmpty)
            for placement in placements {
                let intervalStart = placement.eventTime - placement.eventTime % Interval.lengthMillis
                let knownAt = intervalStart + Interval.lengthMillis
                #expect(knownAt >= end, "a \(intervalSeconds) s reading ending at \(end) is known at \(knownAt)")
                if intervalSeconds > 300 {
                    #expect(intervalStart >= end, "a \(intervalSeconds) s reading lands in an interval it overlaps")
                }
                #expect(placement.publishTime >= end, "published at \(placement.publishTime), before the reading's end \(end)")
                // Ingest's defaults: not a future timestamp (300 s), on time (240 s after the interval).
                #expect(placement.eventTime <= placement.publishTime + 300_000)
                #expect(placement.publishTime <= knownAt + 240_000)
            }
        }
    }

    @Test func aLongReadingKeepsItsMeanRateInEachInterval() {
        let placements = IntervalPlan.placements(start: 0, intervalSeconds: 3_600)
        #expect(placements.count == 12)
        #expect(placements.first?.eventTime == 3_600_000 && placements.last?.eventTime == 3_600_000 + 11 * 300_000)
    }
}
