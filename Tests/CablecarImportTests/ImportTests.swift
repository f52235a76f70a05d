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
    @Test func aLongReadingCoversEachFiveMinuteIntervalAtItsMeanRate() throws {
        let mapping = try DetectorMapping(csv: mappingCSV)
        let csv = "detector_id,interval_start,interval_s,count\nd3,2024-04-18T00:00:00Z,900,30\nd1,2024-04-18T00:00:00Z,300,7\n"
        let feed = try ImportedFeed(try ReadingsImport(csv: csv, mapping: mapping), mapping: mapping)
        #expect(feed.rowsProduced == 2)
        #expect(feed.records.count == 4)
        #expect(feed.records.allSatisfy { $0.topic == .rawLoop })
        let start: EpochMillis = 1_713_398_400_000
        let long = feed.records.filter { $0.keyString == "s2" }
        #expect(long.map(\.eventTime) == [start, start + 300_000, start + 600_000])
        #expect(long.allSatisfy { $0.publishTime == start + 900_000 })
        let reading = try WireCodec.decode(LoopDetectorReading.self, from: long[1].value)
        #expect(reading.vehicleCount == 30 && reading.intervalSeconds == 900 && reading.sensorID == "d3")
        #expect(reading.speedKmh == 40)
        #expect(feed.records.first?.publishTime == start + 300_000)
        #expect(zip(feed.records, feed.records.dropFirst()).allSatisfy { $0.publishTime <= $1.publishTime })
    }
}
