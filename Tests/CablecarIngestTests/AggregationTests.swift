import CablecarDomain
import Testing

@testable import CablecarIngest

@Suite("Watermarks, partial sums and sensor quality")
struct AggregationTests {
    let t0: EpochMillis = 1_741_017_600_000  // an interval start

    @Test func watermarkClassifiesOnTimeLateAndTooLate() {
        var watermark = Watermark(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000)
        let p0 = "raw.loop:0"
        #expect(watermark.timeliness(of: t0, partition: p0) == .onTime, "nothing seen yet")
        #expect(!watermark.isDue(intervalStart: t0))
        watermark.advance(to: t0 + 8 * 60_000, partition: p0)  // watermark = t0 + 4 min
        #expect(!watermark.isDue(intervalStart: t0), "interval ends at +5 min, the watermark is at +4")
        #expect(watermark.timeliness(of: t0 + 60_000, partition: p0) == .onTime)
        watermark.advance(to: t0 + 9 * 60_000, partition: p0)
        #expect(watermark.isDue(intervalStart: t0))
        #expect(watermark.timeliness(of: t0 + 60_000, partition: p0) == .late, "its interval was emitted: a correction")
        #expect(watermark.timeliness(of: t0 + 5 * 60_000, partition: p0) == .onTime)
        watermark.advance(to: t0 + 3 * 3_600_000, partition: p0)
        #expect(watermark.timeliness(of: t0, partition: p0) == .tooLate)
        watermark.advance(to: t0, partition: p0)
        #expect(watermark.maxEventTime == t0 + 3 * 3_600_000, "never moves back")
    }

    @Test func slowestPartitionHoldsTheWatermarkAndLatenessIsPerPartition() {
        var watermark = Watermark(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000)
        watermark.advance(to: t0 + 12 * 3_600_000, partition: "raw.loop:0")  // a backlog read ahead
        watermark.advance(to: t0 + 9 * 60_000, partition: "raw.loop:1")
        #expect(watermark.watermark == t0 + 5 * 60_000)
        #expect(watermark.isDue(intervalStart: t0))
        #expect(!watermark.isDue(intervalStart: t0 + 5 * 60_000), "partition 1 has not finished the next interval")
        #expect(watermark.timeliness(of: t0 + 6 * 60_000, partition: "raw.loop:1") == .onTime, "not too late in its own partition")
        #expect(watermark.timeliness(of: t0 + 6 * 60_000, partition: "raw.loop:0") == .tooLate)
    }

    @Test func silentPartitionStopsHoldingTheWatermarkAfterTheIdleTimeAndCountsAgainWhenItSpeaks() {
        let wall: EpochMillis = 1_800_000_000_000
        var watermark = Watermark(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000, idleAfterMillis: 60_000, now: wall)
        watermark.advance(to: t0 + 9 * 60_000, partition: "raw.events:0")
        watermark.advance(to: t0 + 9 * 60_000, partition: "raw.gps:0")
        #expect(watermark.watermark == t0 + 5 * 60_000)
        // raw.gps keeps going; raw.events falls silent.
        for second in stride(from: 10, through: 60, by: 10) {
            watermark.tick(now: wall + EpochMillis(second) * 1000)
            watermark.advance(to: t0 + 9 * 60_000 + EpochMillis(second) * 60_000, partition: "raw.gps:0")
        }
        #expect(watermark.watermark == t0 + 5 * 60_000, "60 s of silence is not yet idle")
        watermark.tick(now: wall + 61_000)
        watermark.advance(to: t0 + 80 * 60_000, partition: "raw.gps:0")
        #expect(watermark.watermark == t0 + 76 * 60_000, "the idle partition no longer holds emission back")
        #expect(watermark.isDue(intervalStart: t0 + 70 * 60_000))
        watermark.advance(to: t0 + 20 * 60_000, partition: "raw.events:0")
        #expect(watermark.watermark == t0 + 16 * 60_000, "a partition that speaks again counts again")
        #expect(watermark.timeliness(of: t0 + 20 * 60_000, partition: "raw.events:0") == .onTime)

        var never = Watermark(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000, idleAfterMillis: nil, now: wall)
        never.advance(to: t0, partition: "raw.events:0")
        never.tick(now: wall + 86_400_000)
        never.advance(to: t0 + 3_600_000, partition: "raw.gps:0")
        #expect(never.watermark == t0 - 240_000, "without an idle timeout a silent partition holds the watermark")
    }

    @Test("an idle partition never holds back or freezes the others; when all are idle the stream's tail is due")
    func idlePartitionsNeverHoldBackTheTail() {
        let wall: EpochMillis = 1_800_000_000_000
        // After a restart every partition's last activity is the restart (wall): the sparse
        // context partition (raw.events) is hours behind the others.
        let stored = ["raw.events:0": t0 + 21 * 3_600_000, "raw.gps:0": t0 + 24 * 3_600_000, "raw.weather:0": t0 + 24 * 3_600_000 - 60_000]
        var watermark = Watermark(
            partitions: stored, allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000, idleAfterMillis: 60_000, now: wall)
        #expect(watermark.watermark == t0 + 21 * 3_600_000 - 240_000, "within the idle period every partition still counts")
        watermark.tick(now: wall + 61_000)
        #expect(
            watermark.watermark == t0 + 24 * 3_600_000 - 240_000,
            "all idle: the stream ended or paused, and its tail is due up to the newest event time minus the lateness")
        #expect(watermark.isDue(intervalStart: t0 + 24 * 3_600_000 - 10 * 60_000))
        // Data comes again on one partition: it alone counts, the idle ones hold nothing back.
        watermark.advance(to: t0 + 24 * 3_600_000 + 30 * 60_000, partition: "raw.gps:0")
        #expect(watermark.watermark == t0 + 24 * 3_600_000 + 26 * 60_000)
        // A random mix of idle and active partitions: the watermark is the slowest active one,
        // or the newest of all when none is active.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var partitions: [String: EpochMillis] = [:]
            var lastActive: [String: EpochMillis] = [:]
            for index in 0..<Int.random(in: 1...6, using: &generator) {
                partitions["p:\(index)"] = t0 + EpochMillis.random(in: 0...86_400_000, using: &generator)
                lastActive["p:\(index)"] = wall - EpochMillis.random(in: 0...120_000, using: &generator)
            }
            let mixed = Watermark(
                partitions: partitions, allowedLatenessMillis: 0, tooLateMillis: 7_200_000, idleAfterMillis: 60_000, now: wall,
                lastActive: lastActive)
            let active = partitions.filter { wall - lastActive[$0.key]! <= 60_000 }.values
            #expect(mixed.watermark == (active.min() ?? partitions.values.max()))
        }
    }

    @Test func groupWatermarkJudgesIdlenessFromStoredActivity() {
        let wall: EpochMillis = 1_800_000_000_000
        let progress = ["raw.loop:0": t0 + 30 * 60_000, "raw.camera:1": t0 + 9 * 60_000]
        func group(cameraActiveAt: EpochMillis) -> Watermark {
            Watermark(
                partitions: progress, allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000, idleAfterMillis: 60_000, now: wall,
                lastActive: ["raw.loop:0": wall, "raw.camera:1": cameraActiveAt])
        }
        #expect(group(cameraActiveAt: wall - 60_000).watermark == t0 + 5 * 60_000, "another instance's partition holds emission back")
        #expect(group(cameraActiveAt: wall - 61_000).watermark == t0 + 26 * 60_000, "until it has been idle for the idle period")
    }

    @Test func absorbedProgressNeverMovesAPartitionBack() {
        var watermark = Watermark(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000)
        watermark.advance(to: t0 + 9 * 60_000, partition: "raw.loop:0")
        watermark.absorb(["raw.loop:0": t0, "raw.loop:1": t0 + 20 * 60_000])
        #expect(watermark.partitions == ["raw.loop:0": t0 + 9 * 60_000, "raw.loop:1": t0 + 20 * 60_000])
        #expect(
            watermark.timeliness(of: t0 - 2 * 3_600_000, partition: "raw.loop:1") == .tooLate,
            "a partition taken over in a rebalance judges lateness from its previous owner's progress")
    }

    @Test func storedIntervalSumsGiveTheSameObservationAsThePartials() throws {
        // The sums on an interval's row grow batch by batch: a sensor's mean changes as its
        // partial grows, and the row adds only the change (see AggregateStore.addTraffic).
        var loop = SensorPartial()
        var sums = IntervalSums()
        let readings = [10, 20, 30].map {
            SensorPartial.loop(
                LoopDetectorReading(sensorID: "l", eventTime: t0, intervalSeconds: 60, vehicleCount: $0, occupancy: 0.1, speedKmh: 40))
        }
        for reading in readings {
            let before = ExactSum.mean(loop.rateSum, count: loop.rateCount)
            if loop.rateCount == 0 { sums.reportingSensors += 1 }
            loop.add(reading)
            sums.flowMeanSum += ExactSum.mean(loop.rateSum, count: loop.rateCount) - before
            sums.sampleCount += reading.rateCount
            sums.speedSum += reading.speedSum
            sums.speedCount += reading.speedCount
            sums.occupancySum += reading.occupancySum
            sums.occupancyCount += reading.occupancyCount
        }
        let fromPartials = try #require(
            TrafficAggregation.observation(
                segmentID: "s", neighborhood: "n", intervalStart: t0, partials: [loop], revision: 0, ingestTime: 0))
        let fromSums = try #require(
            TrafficAggregation.observation(
                segmentID: "s", neighborhood: "n", intervalStart: t0, sums: sums, revision: 0, ingestTime: 0))
        #expect(fromSums == fromPartials)
        #expect(fromSums.flowVehiclesPerHour == 1200)
        #expect(fromSums.sampleCount == 3)
    }

    @Test func flowIsTheMeanOverSensorsOfEachSensorsMeanRate() throws {
        var loop = SensorPartial()
        for count in [10, 20] {
            loop.add(
                .loop(
                    LoopDetectorReading(
                        sensorID: "l", eventTime: t0, intervalSeconds: 60, vehicleCount: count, occupancy: 0.1, speedKmh: 40)))
        }
        let camera = SensorPartial.camera(
            CameraCount(sensorID: "c", eventTime: t0, intervalSeconds: 60, cars: 28, trucks: 1, buses: 1, bicycles: 9))
        let observation = try #require(
            TrafficAggregation.observation(
                segmentID: "s", neighborhood: "n", intervalStart: t0, partials: [loop, camera], revision: 0, ingestTime: 0))
        // loop: mean(600, 1200) = 900 veh/h; camera: 30 motor vehicles/min = 1800; mean = 1350.
        #expect(observation.flowVehiclesPerHour == 1350)
        #expect(observation.speedKmh == 40, "only loops measure speed")
        #expect(observation.occupancy == 0.1)
        #expect(observation.sampleCount == 3)
    }

    @Test func partialsAddUpToTheSameAggregateInAnyGrouping() throws {
        let readings = (0..<5).map {
            LoopDetectorReading(
                sensorID: "l", eventTime: t0 + Int64($0) * 60_000, intervalSeconds: 60, vehicleCount: 10 + $0, occupancy: 0.1,
                speedKmh: 30 + Double($0))
        }
        var whole = SensorPartial()
        for reading in readings { whole.add(.loop(reading)) }
        var first = SensorPartial()
        for reading in readings.prefix(3) { first.add(.loop(reading)) }
        var late = SensorPartial()
        for reading in readings.suffix(2) { late.add(.loop(reading)) }
        first.add(late)
        #expect(first == whole)
        let observation = try #require(
            TrafficAggregation.observation(
                segmentID: "s", neighborhood: "n", intervalStart: t0, partials: [whole], revision: 1, ingestTime: 0))
        #expect(observation.flowVehiclesPerHour == 720)
        #expect(observation.speedKmh == 32)
        #expect(observation.revision == 1)
    }

    @Test("exact sums are the same bit for bit in any order and grouping, where floating-point sums are not")
    func exactSumsDoNotDependOnOrder() {
        let values = [0.1, 0.2, 0.3, 1e-7, 123.456789, 0.7, 99.99, 3.3]
        var random = SystemRandomNumberGenerator()
        let reference = values.reduce(ExactSum(0)) { $0 + ExactSum($1) }
        var floatResults: Set<Double> = []
        for _ in 0..<200 {
            let shuffled = values.shuffled(using: &random)
            let cut = Int.random(in: 0...shuffled.count, using: &random)
            let grouped =
                shuffled[..<cut].reduce(ExactSum(0)) { $0 + ExactSum($1) } + shuffled[cut...].reduce(ExactSum(0)) { $0 + ExactSum($1) }
            #expect(grouped == reference)
            floatResults.insert(shuffled[..<cut].reduce(0, +) + shuffled[cut...].reduce(0, +))
        }
        #expect(floatResults.count > 1, "the same values summed as doubles in other orders differ (which is why sums are exact)")
        #expect(reference.micros == 228_046_789)
        #expect(ExactSum.mean(ExactSum(micros: 5), count: 2).micros == 3, "means round half up, as the SQL does")
        #expect(ExactSum.mean(ExactSum(micros: 7), count: 3).micros == 2)
        #expect(ExactSum(.infinity).micros == 9_000_000_000_000_000_000, "conversion clamps instead of trapping")
        #expect(ExactSum(.nan).micros == 0)
    }

    @Test("a reading is late by its publish time: the same record is on time or late in every run")
    func knowledgeRuleClassifiesByPublishTime() {
        let rule = KnowledgeRule(allowedLatenessMillis: 240_000, tooLateMillis: 7_200_000)
        let end = t0 + Interval.lengthMillis
        #expect(!rule.isLate(eventTime: t0 + 60_000, publishTime: end + 239_999))
        #expect(rule.isLate(eventTime: t0 + 60_000, publishTime: end + 240_000))
        #expect(!rule.isLate(eventTime: t0 + 60_000, publishTime: nil), "no timestamp: on time")
        #expect(rule.onTimeKnownAt(intervalStart: t0) == end)
        #expect(rule.finalKnownAt(intervalStart: t0, latestLatePublish: end + 600_000) == end + 7_200_000)
        #expect(rule.finalKnownAt(intervalStart: t0, latestLatePublish: end + 8_000_000) == end + 8_000_000)
        #expect(
            rule.finalKnownAt(intervalStart: t0, latestLatePublish: .max) == end + 14_400_000,
            "a forged publish time is bounded, so the revision stays within every consumer's range")
        #expect(rule.finalHorizon(watermark: end + 7_200_000) == t0, "the final is due once the watermark is the limit past the end")
    }

    @Test func noReadingsNoObservation() {
        #expect(
            TrafficAggregation.observation(segmentID: "s", neighborhood: "n", intervalStart: t0, partials: [], revision: 0, ingestTime: 0)
                == nil)
    }

    @Test func contextLeavesUnreportedMeasuresAbsent() {
        var partial = ContextPartial()
        partial.add(
            .gps(
                TransitPosition(
                    vehicleID: "b", routeID: "r", eventTime: t0, segmentID: "s", distanceMeters: 1, speedKmh: 10, delaySeconds: 30),
                neighborhood: "n"))
        partial.add(
            .gps(
                TransitPosition(
                    vehicleID: "b", routeID: "r", eventTime: t0, segmentID: "s", distanceMeters: 1, speedKmh: 10, delaySeconds: 90),
                neighborhood: "n"))
        let observation = partial.observation(
            neighborhood: "n", intervalStart: t0, activeScheduledEvents: 1, activeIncidents: 0, revision: 0, ingestTime: 0)
        #expect(observation.transitDelaySeconds == 60)
        #expect(observation.transitReports == 2)
        #expect(observation.temperatureCelsius == nil)
        #expect(observation.activeScheduledEvents == 1)
    }

    @Test func stuckSensorIsFlaggedAfterIdenticalReadingsAndClearedByChange() {
        var quality = SensorQuality(
            sensorID: "l", feed: .loop, segmentID: "s", neighborhood: "n", intervalSeconds: 60, firstEventTime: t0, lastEventTime: t0)
        for index in 0..<SensorQuality.stuckThreshold {
            #expect(!quality.stuck)
            quality.observe(eventTime: t0 + Int64(index) * 60_000, intervalSeconds: 60, values: "12|0.1|40.0", countsAreZero: false)
        }
        #expect(quality.stuck)
        #expect(quality.stuckEpisodes == 1)
        quality.observe(eventTime: t0 + 10 * 60_000, intervalSeconds: 60, values: "13|0.1|41.0", countsAreZero: false)
        #expect(!quality.stuck)
        #expect(quality.stuckEpisodes == 1)
        // 6 readings over 10 minutes at one per minute: 11 expected.
        #expect(quality.expectedReadings == 11)
        #expect(abs(quality.completeness - 6.0 / 11.0) < 1e-9)
    }

    @Test func zeroCountsAtNightAreNotStuck() {
        var quality = SensorQuality(
            sensorID: "c", feed: .camera, segmentID: "s", neighborhood: "n", intervalSeconds: 60, firstEventTime: t0, lastEventTime: t0)
        for index in 0..<20 {
            quality.observe(eventTime: t0 + Int64(index) * 60_000, intervalSeconds: 60, values: "0|0|0|0", countsAreZero: true)
        }
        #expect(!quality.stuck)
    }
}
