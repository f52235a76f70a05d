import CablecarDomain

/// The features the platform serves, in row order. Adding a feature appends here; changing one
/// bumps its `version` (the store rejects a changed definition under an old version).
public enum FeatureCatalog {
    public static let current: [FeatureDefinition] =
        trafficFeatures + neighborFeatures + calendarFeatures + contextFeatures + occupancyFeatures

    static let trafficFeatures: [FeatureDefinition] = {
        var features: [FeatureDefinition] = []
        for field in [TrafficField.speed, .flow] {
            features += lags(field)
            for minutes in [15, 60] {
                features.append(mean(field, minutes: minutes))
                features.append(
                    FeatureDefinition(
                        name: "\(field.rawValue)_std_\(minutes)m", entity: .segment, sourceTopic: .observedTraffic,
                        transformation: .rollingStd(field: field, minutes: minutes), windowMinutes: minutes, ttlMinutes: minutes,
                        description: "population standard deviation of \(field.rawValue) (\(unit(field))) over the last \(minutes) minutes")
                )
            }
            features.append(
                FeatureDefinition(
                    name: "\(field.rawValue)_yesterday", entity: .segment, sourceTopic: .observedTraffic,
                    transformation: .sameIntervalDaysAgo(field: field, days: 1), windowMinutes: 1_440, ttlMinutes: 1_440,
                    description: "\(field.rawValue) (\(unit(field))) of the same five-minute interval one day earlier"))
            features.append(
                FeatureDefinition(
                    name: "\(field.rawValue)_last_week", entity: .segment, sourceTopic: .observedTraffic,
                    transformation: .sameIntervalDaysAgo(field: field, days: 7), windowMinutes: 10_080, ttlMinutes: 10_080,
                    description: "\(field.rawValue) (\(unit(field))) of the same five-minute interval seven days earlier"))
        }
        return features
    }()

    /// The field's value in each of the three five-minute intervals before the instant.
    private static func lags(_ field: TrafficField) -> [FeatureDefinition] {
        (1...3).map { k in
            FeatureDefinition(
                name: "\(field.rawValue)_lag_\(k)", entity: .segment, sourceTopic: .observedTraffic,
                transformation: .lag(field: field, intervals: k), windowMinutes: 5 * k, ttlMinutes: 15,
                description: "\(field.rawValue) (\(unit(field))) of the five-minute interval \(k) step(s) before the instant")
        }
    }

    private static func mean(_ field: TrafficField, minutes: Int) -> FeatureDefinition {
        FeatureDefinition(
            name: "\(field.rawValue)_mean_\(minutes)m", entity: .segment, sourceTopic: .observedTraffic,
            transformation: .rollingMean(field: field, minutes: minutes), windowMinutes: minutes, ttlMinutes: minutes,
            description: "mean \(field.rawValue) (\(unit(field))) over the last \(minutes) minutes")
    }

    private static func unit(_ field: TrafficField) -> String {
        switch field {
        case .speed: "km/h"
        case .flow: "veh/h"
        case .occupancy: "0...1"
        }
    }

    /// The loops' occupancy (the share of time a vehicle is over the loop), appended after the
    /// rest. It reads the segment's density, and in a jam its queue, with about 4 % of noise
    /// where a speed reading is off by about 1 km/h. On the simulated city with occupancy only
    /// where a loop is, the speed forecast at 15 minutes removed 56.0 % of the reducible error
    /// instead of 50.0 % on the 14-day benchmark and 40.8 % instead of 38.0 % on 21 days; other
    /// targets and horizons moved by 0.3 points or less (docs/trainer.md, Benchmark).
    static let occupancyFeatures: [FeatureDefinition] = lags(.occupancy) + [15, 60].map { mean(.occupancy, minutes: $0) }

    static let neighborFeatures: [FeatureDefinition] = NeighborDirection.allCases.map { direction in
        FeatureDefinition(
            name: "\(direction.rawValue)_speed", entity: .segment, sourceTopic: .observedTraffic,
            transformation: .neighborLatest(field: .speed, direction: direction), windowMinutes: 15, ttlMinutes: 15,
            description: "mean newest speed (km/h) of the segment's \(direction.rawValue) neighbors")
    }

    static let calendarFeatures: [FeatureDefinition] = [
        FeatureDefinition(
            name: "time_of_day_sin", entity: .segment, sourceTopic: nil, transformation: .timeOfDaySin, windowMinutes: 0,
            ttlMinutes: 0, description: "sin(2π · local minute of day / 1440)"),
        FeatureDefinition(
            name: "time_of_day_cos", entity: .segment, sourceTopic: nil, transformation: .timeOfDayCos, windowMinutes: 0,
            ttlMinutes: 0, description: "cos(2π · local minute of day / 1440)"),
        FeatureDefinition(
            name: "day_of_week_sin", entity: .segment, sourceTopic: nil, transformation: .dayOfWeekSin, windowMinutes: 0,
            ttlMinutes: 0, description: "sin(2π · local day of week / 7), Monday = 0"),
        FeatureDefinition(
            name: "day_of_week_cos", entity: .segment, sourceTopic: nil, transformation: .dayOfWeekCos, windowMinutes: 0,
            ttlMinutes: 0, description: "cos(2π · local day of week / 7), Monday = 0"),
    ]

    static let contextFeatures: [FeatureDefinition] = [
        context("precipitation_mm_h", .precipitation, ttl: 60, "precipitation (mm/h) in the neighborhood"),
        context("temperature_c", .temperature, ttl: 60, "air temperature (°C) in the neighborhood"),
        context("visibility_m", .visibility, ttl: 60, "visibility (m) in the neighborhood"),
        context("active_events", .activeScheduledEvents, ttl: 15, "scheduled events (games, concerts) active in the neighborhood"),
        context("active_incidents", .activeIncidents, ttl: 15, "incidents active in the neighborhood"),
        context("transit_delay_s", .transitDelay, ttl: 30, "mean transit delay (s) in the neighborhood"),
    ]

    private static func context(_ name: String, _ field: ContextField, ttl: Int, _ description: String) -> FeatureDefinition {
        FeatureDefinition(
            name: name, entity: .neighborhood, sourceTopic: .observedContext, transformation: .contextLatest(field: field),
            windowMinutes: ttl, ttlMinutes: ttl, description: "newest known \(description)")
    }

    public static func definition(named name: String) -> FeatureDefinition? {
        current.first { $0.name == name }
    }
}
