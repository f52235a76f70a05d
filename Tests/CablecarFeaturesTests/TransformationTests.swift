import CablecarDomain
import CablecarFeatures
import Foundation
import Testing

@Suite struct TransformationTests {
    let computer: FeatureComputer
    init() throws { computer = try FeatureComputer(city: Fixtures.city) }

    @Test func meanAndPopulationStd() {
        #expect(FeatureMath.mean([]) == nil)
        #expect(FeatureMath.mean([2, 4, 9]) == 5)
        #expect(FeatureMath.populationStd([7]) == nil)
        #expect(FeatureMath.populationStd([2, 4, 4, 4, 5, 5, 7, 9]) == 2)
    }

    @Test func lagsUseTheIntervalsBeforeTheInstant() {
        let t = Fixtures.base + 12 * Fixtures.step
        var items: [AvailableTraffic] = []
        for k in 1...4 {
            items.append(Fixtures.traffic("B", t - EpochMillis(k) * Fixtures.step, flow: Double(100 * k), speed: Double(10 * k)))
        }
        // The interval starting at t is the label, never a feature.
        items.append(Fixtures.traffic("B", t, flow: 999, speed: 99, availableAt: t))
        let history = ObservationHistory(traffic: items, context: [])
        let row = computer.row(segment: "B", at: t, history: history)
        #expect(Fixtures.value(row, "speed_lag_1", computer) == 10)
        #expect(Fixtures.value(row, "speed_lag_3", computer) == 30)
        #expect(Fixtures.value(row, "flow_lag_2", computer) == 200)
        #expect(row?.actualSpeedKmh == 99)
        #expect(row?.actualFlowVehiclesPerHour == 999)
    }

    @Test func aRevisionIsInvisibleBeforeItIsAvailable() {
        let t = Fixtures.base + 12 * Fixtures.step
        let start = t - Fixtures.step
        let history = ObservationHistory(
            traffic: [
                Fixtures.traffic("B", start, flow: 100, speed: 40, revision: 0, availableAt: t),
                Fixtures.traffic("B", start, flow: 150, speed: 20, revision: 1, availableAt: t + Fixtures.step),
            ], context: [])
        #expect(Fixtures.value(computer.row(segment: "B", at: t, history: history), "speed_lag_1", computer) == 40)
        #expect(Fixtures.value(computer.row(segment: "B", at: t + Fixtures.step, history: history), "speed_lag_2", computer) == 20)
        // Not available at all before its first revision arrived.
        let early = ObservationHistory(traffic: [Fixtures.traffic("B", start, flow: 1, speed: 1, availableAt: t + 1)], context: [])
        #expect(Fixtures.value(computer.row(segment: "B", at: t, history: early), "speed_lag_1", computer) == nil)
        // The label takes the latest revision regardless of availability.
        #expect(computer.row(segment: "B", at: start, history: history)?.actualSpeedKmh == 20)
    }

    @Test func rollingWindowsCoverExactlyTheirMinutes() {
        let t = Fixtures.base + 24 * Fixtures.step
        var items: [AvailableTraffic] = []
        for k in 1...13 { items.append(Fixtures.traffic("A", t - EpochMillis(k) * Fixtures.step, flow: Double(k), speed: Double(k))) }
        let row = computer.row(segment: "A", at: t, history: ObservationHistory(traffic: items, context: []))
        #expect(Fixtures.value(row, "speed_mean_15m", computer) == 2)  // 1, 2, 3
        #expect(Fixtures.value(row, "flow_mean_60m", computer) == 6.5)  // 1 ... 12
        let std15 = Fixtures.value(row, "speed_std_15m", computer) ?? -1
        #expect(abs(std15 - (2.0 / 3.0).squareRoot()) < 1e-12)
    }

    @Test func sameIntervalYesterdayAndLastWeek() {
        let t = Fixtures.base + 8 * Fixtures.day + 30 * Fixtures.step
        let history = ObservationHistory(
            traffic: [
                Fixtures.traffic("C", t - Fixtures.day, flow: 11, speed: 31),
                Fixtures.traffic("C", t - 7 * Fixtures.day, flow: 17, speed: 37),
            ], context: [])
        let row = computer.row(segment: "C", at: t, history: history)
        #expect(Fixtures.value(row, "speed_yesterday", computer) == 31)
        #expect(Fixtures.value(row, "flow_last_week", computer) == 17)
        #expect(Fixtures.value(row, "speed_lag_1", computer) == nil)
    }

    @Test func neighborSpeedsTakeTheNewestFreshValue() {
        let t = Fixtures.base + 24 * Fixtures.step
        let history = ObservationHistory(
            traffic: [
                Fixtures.traffic("A", t - 2 * Fixtures.step, flow: 1, speed: 30),
                Fixtures.traffic("A", t - 3 * Fixtures.step, flow: 1, speed: 99),
                Fixtures.traffic("C", t - 5 * Fixtures.step, flow: 1, speed: 45),  // ended 20 min ago: past the 15 min TTL
            ], context: [])
        let row = computer.row(segment: "B", at: t, history: history)
        #expect(Fixtures.value(row, "upstream_speed", computer) == 30)
        #expect(Fixtures.value(row, "downstream_speed", computer) == nil)
        let rowC = computer.row(segment: "C", at: t - 2 * Fixtures.step, history: history)
        #expect(Fixtures.value(rowC, "upstream_speed", computer) == nil)
    }

    @Test func contextValuesExpireAfterTheirTTL() {
        let t = Fixtures.base + 48 * Fixtures.step
        let history = ObservationHistory(
            traffic: [],
            context: [
                Fixtures.context("n1", t - 12 * Fixtures.step, temperature: 12.5, events: 2),
                Fixtures.context("n1", t - Fixtures.step, temperature: nil, delay: 40),
            ])
        let row = computer.row(segment: "A", at: t, history: history)
        // Temperature from 60 min ago (interval ended 55 min ago) is within its 60 min TTL.
        #expect(Fixtures.value(row, "temperature_c", computer) == 12.5)
        #expect(Fixtures.value(row, "transit_delay_s", computer) == 40)
        #expect(Fixtures.value(row, "active_events", computer) == 0)  // the newest interval says none
        // Ten minutes later the temperature reading is past its TTL.
        let later = computer.row(segment: "A", at: t + 2 * Fixtures.step, history: history)
        #expect(Fixtures.value(later, "temperature_c", computer) == nil)
        #expect(Fixtures.value(later, "transit_delay_s", computer) == 40)
        // Segment C is in n2, which has no context at all.
        #expect(Fixtures.value(computer.row(segment: "C", at: t, history: history), "temperature_c", computer) == nil)
    }

    @Test func calendarEncodingsUseLocalTime() throws {
        let zoned = try FeatureComputer(
            city: {
                var c = Fixtures.city
                c.timeZone = "America/Los_Angeles"
                return c
            }())
        // 2025-03-03 08:00 UTC = Monday 00:00 in Los Angeles (PST, UTC-8).
        let row = zoned.row(segment: "A", at: Fixtures.base + 8 * 3_600_000, history: ObservationHistory())
        #expect(abs(Fixtures.value(row, "time_of_day_sin", zoned) ?? 9) < 1e-12)
        #expect(Fixtures.value(row, "time_of_day_cos", zoned) == 1)
        #expect(Fixtures.value(row, "day_of_week_cos", zoned) == 1)
        // 18:00 local → three quarters round the clock.
        let evening = zoned.row(segment: "A", at: Fixtures.base + 26 * 3_600_000, history: ObservationHistory())
        #expect(abs((Fixtures.value(evening, "time_of_day_sin", zoned) ?? 0) + 1) < 1e-12)
        let calendar = try LocalCalendar(identifier: "UTC")
        #expect(calendar.position(of: Fixtures.base + 2 * Fixtures.day + 90 * 60_000) == (minuteOfDay: 90, dayOfWeek: 2))
    }
}
