import CablecarDomain
import Foundation

/// The daily rhythm of traffic demand, as a fraction of a segment's peak demand, by
/// neighborhood profile, local hour and weekday/weekend. Sums of Gaussian bumps: cheap,
/// smooth, and easy to read off — downtown peaks at 08:30 and 17:30, residential streets
/// an hour earlier in the morning, industrial areas early, nightlife late and on weekends.
public enum DemandCurve {
    /// A bump centred on `hour` (local, 0..<24) with `width` hours of standard deviation.
    struct Bump {
        var height: Double
        var hour: Double
        var width: Double
    }

    struct Shape {
        var floor: Double
        var bumps: [Bump]
    }

    static func shape(for profile: DemandProfile, weekend: Bool) -> Shape {
        switch (profile, weekend) {
        case (.downtown, false):
            Shape(
                floor: 0.07,
                bumps: [
                    Bump(height: 0.92, hour: 8.5, width: 1.0), Bump(height: 0.88, hour: 17.5, width: 1.2),
                    Bump(height: 0.42, hour: 12.5, width: 1.6),
                ])
        case (.residential, false):
            Shape(
                floor: 0.06,
                bumps: [
                    Bump(height: 0.95, hour: 7.5, width: 0.9), Bump(height: 0.78, hour: 18.0, width: 1.4),
                    Bump(height: 0.30, hour: 13.0, width: 2.5),
                ])
        case (.mixed, false):
            Shape(
                floor: 0.08,
                bumps: [
                    Bump(height: 0.75, hour: 8.0, width: 1.2), Bump(height: 0.80, hour: 17.5, width: 1.5),
                    Bump(height: 0.45, hour: 13.0, width: 3.0),
                ])
        case (.industrial, false):
            Shape(
                floor: 0.05,
                bumps: [
                    Bump(height: 0.90, hour: 6.5, width: 1.0), Bump(height: 0.80, hour: 15.5, width: 1.2),
                    Bump(height: 0.30, hour: 11.0, width: 2.0),
                ])
        case (.nightlife, false):
            Shape(
                floor: 0.10,
                bumps: [
                    Bump(height: 0.60, hour: 8.5, width: 1.2), Bump(height: 0.65, hour: 18.0, width: 1.5),
                    Bump(height: 0.60, hour: 22.0, width: 2.0),
                ])
        case (.downtown, true):
            Shape(floor: 0.06, bumps: [Bump(height: 0.38, hour: 13.5, width: 3.0)])
        case (.residential, true):
            Shape(floor: 0.06, bumps: [Bump(height: 0.60, hour: 12.5, width: 3.5)])
        case (.mixed, true):
            Shape(floor: 0.07, bumps: [Bump(height: 0.65, hour: 14.0, width: 3.5)])
        case (.industrial, true):
            Shape(floor: 0.04, bumps: [Bump(height: 0.22, hour: 12.0, width: 3.0)])
        case (.nightlife, true):
            Shape(floor: 0.10, bumps: [Bump(height: 0.50, hour: 14.0, width: 3.0), Bump(height: 0.85, hour: 23.0, width: 2.2)])
        }
    }

    /// Demand as a fraction of peak (roughly 0.05 ... 1.0) at local `hour`.
    public static func factor(profile: DemandProfile, hour: Double, weekend: Bool) -> Double {
        let shape = shape(for: profile, weekend: weekend)
        var value = shape.floor
        for bump in shape.bumps {
            // Circular distance, so a 23:00 bump also lifts 01:00.
            var distance = abs(hour - bump.hour)
            if distance > 12 { distance = 24 - distance }
            let z = distance / bump.width
            value += bump.height * exp(-0.5 * z * z)
        }
        return min(value, 1.1)
    }

    /// Bicycles per hour past one camera at full bicycle demand; scaled by the same curve.
    static func bicyclesPerHour(profile: DemandProfile) -> Double {
        switch profile {
        case .nightlife: 90
        case .mixed, .downtown: 60
        case .residential: 35
        case .industrial: 10
        }
    }

    /// Share of motor vehicles that are trucks.
    static func truckShare(profile: DemandProfile) -> Double {
        profile == .industrial ? 0.16 : (profile == .downtown ? 0.07 : 0.05)
    }
}
