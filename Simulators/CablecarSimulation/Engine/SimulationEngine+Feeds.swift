import CablecarDomain
import Foundation

/// Measurement: turning the true state of one minute into the readings each feed reports,
/// with noise, scenario biases, and per-sensor dropout and stuck episodes.
extension SimulationEngine {
    /// Publication latency of a sensor reading after its counting interval closes, ms.
    static let sensorLatency: ClosedRange<Int> = 200...3_000

    func emitSensors(time: EpochMillis, clock: (hour: Double, weekday: Int, weekend: Bool), rain: [Double]) throws {
        let loopInterval = configuration.rates.loopIntervalSeconds
        let cameraInterval = configuration.rates.cameraIntervalSeconds
        for offset in stride(from: 0, to: 60, by: 1) {
            let tick = time + EpochMillis(offset) * 1_000
            let secondsOfDay = Int((tick / 1_000) % 86_400)
            if secondsOfDay % loopInterval == 0 {
                for sensor in index.loops.indices { try emitLoop(sensor, at: tick, interval: loopInterval) }
            }
            if secondsOfDay % cameraInterval == 0 {
                for sensor in index.cameras.indices {
                    try emitCamera(sensor, at: tick, interval: cameraInterval, hour: clock.hour, weekend: clock.weekend, rain: rain)
                }
            }
            if loopInterval % 60 == 0 && cameraInterval % 60 == 0 { break }
        }
    }

    private func emitLoop(_ sensor: Int, at time: EpochMillis, interval: Int) throws {
        let site = index.loops[sensor]
        let segment = site.segment
        let hood = index.neighborhoodOfSegment[segment]
        let key = index.segments[segment].id
        let state = faults.sensorState(topic: .rawLoop, index: sensor, key: key, subject: site.id, eventTime: time)
        if state == .dropout { return }
        let delay = EpochMillis(interval * 1_000 + measurementRandom.integer(Self.sensorLatency))
        if state == .stuck, var frozen = lastLoop[sensor] {
            frozen.eventTime = time
            try enqueue(frozen, topic: .rawLoop, key: site.key, subject: site.id, publishDelay: delay, stuck: true)
            return
        }
        let countBias = scenario.sensorBias(kind: .loopDetector, measure: .count, neighborhood: hood, day: day)
        let speedBias = scenario.sensorBias(kind: .loopDetector, measure: .speed, neighborhood: hood, day: day)
        let expected = traffic.flow[segment] * Double(interval) / 3_600 * countBias
        let count = measurementRandom.poisson(mean: expected)
        let speed = traffic.speed[segment] * exp(measurementRandom.normal(standardDeviation: 0.06)) * speedBias
        let occupancy = min(1, max(0, traffic.occupancy[segment] * exp(measurementRandom.normal(standardDeviation: 0.08))))
        let reading = LoopDetectorReading(
            sensorID: site.id, eventTime: time, intervalSeconds: interval, vehicleCount: count,
            occupancy: rounded(occupancy, 3), speedKmh: rounded(speed, 1))
        lastLoop[sensor] = reading
        try enqueue(reading, topic: .rawLoop, key: site.key, subject: site.id, publishDelay: delay)
    }

    private func emitCamera(_ sensor: Int, at time: EpochMillis, interval: Int, hour: Double, weekend: Bool, rain: [Double]) throws {
        let site = index.cameras[sensor]
        let segment = site.segment
        let hood = index.neighborhoodOfSegment[segment]
        let key = index.segments[segment].id
        let state = faults.sensorState(topic: .rawCamera, index: sensor, key: key, subject: site.id, eventTime: time)
        if state == .dropout { return }
        let delay = EpochMillis(interval * 1_000 + measurementRandom.integer(Self.sensorLatency))
        if state == .stuck, var frozen = lastCamera[sensor] {
            frozen.eventTime = time
            try enqueue(frozen, topic: .rawCamera, key: site.key, subject: site.id, publishDelay: delay, stuck: true)
            return
        }
        let profile = index.profiles[hood]
        let bias = scenario.sensorBias(kind: .camera, measure: .count, neighborhood: hood, day: day)
        let motor = measurementRandom.poisson(mean: traffic.flow[segment] * Double(interval) / 3_600 * bias)
        let trucks = min(motor, measurementRandom.poisson(mean: Double(motor) * DemandCurve.truckShare(profile: profile)))
        let buses = min(motor - trucks, measurementRandom.poisson(mean: Double(motor) * 0.02))
        let bikeRate =
            DemandCurve.bicyclesPerHour(profile: profile) * DemandCurve.factor(profile: profile, hour: hour, weekend: weekend)
            * (1 - 0.7 * rain[hood])
        let count = CameraCount(
            sensorID: site.id, eventTime: time, intervalSeconds: interval, cars: motor - trucks - buses, trucks: trucks,
            buses: buses, bicycles: measurementRandom.poisson(mean: bikeRate * Double(interval) / 3_600))
        lastCamera[sensor] = count
        try enqueue(count, topic: .rawCamera, key: site.key, subject: site.id, publishDelay: delay)
    }

    func emitTransit(time: EpochMillis, clock: (hour: Double, weekday: Int, weekend: Bool)) throws {
        fleet.dispatch(time: time, hour: clock.hour, weekend: clock.weekend)
        let interval = configuration.rates.gpsIntervalSeconds
        let segments = index.segments
        for offset in stride(from: 0, to: 60, by: interval) {
            let tick = time + EpochMillis(offset) * 1_000
            let reports = fleet.advance(seconds: Double(interval), time: tick, trafficSpeed: traffic.speed) {
                segments[$0].freeFlowSpeedKmh
            }
            for report in reports {
                let delay = EpochMillis(measurementRandom.integer(500...4_000))
                try enqueue(report, topic: .rawGPS, key: fleet.routeKey(report.routeID), subject: report.vehicleID, publishDelay: delay)
            }
        }
    }

    func emitWeather(time: EpochMillis, hour: Double) throws {
        for (hood, neighborhood) in index.city.neighborhoods.enumerated() {
            let rain = weather.rain[hood]
            let report = WeatherReport(
                stationID: "wx-\(neighborhood.id)", neighborhood: neighborhood.id, eventTime: time,
                temperatureCelsius: rounded(weather.temperature + measurementRandom.normal(standardDeviation: 0.3), 1),
                precipitationMmPerHour: rounded(max(0, rain * (1 + measurementRandom.normal(standardDeviation: 0.1))), 1),
                visibilityMeters: rounded(
                    weather.visibility(neighborhood: hood, hour: hour) * (1 + measurementRandom.normal(standardDeviation: 0.05)), 0))
            let delay = EpochMillis(measurementRandom.integer(1_000...30_000))
            try enqueue(report, topic: .rawWeather, key: Array(neighborhood.id.utf8), subject: report.stationID, publishDelay: delay)
        }
    }
}
