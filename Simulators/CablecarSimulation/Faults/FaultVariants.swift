import CablecarDomain

/// The concrete broken records each fault kind can produce, per feed, with the reject
/// reason ingest is expected to give. One table so the contract with ingest is in one place.
enum FaultVariants {
    struct Edit: Sendable {
        enum Action: Sendable {
            case replace(field: String, literal: String)
            case remove(field: String)
        }
        var action: Action
        var reason: RejectReason
        var detail: String
    }

    /// The field that names what a record speaks for (sensor, route, station, event).
    static func subjectField(_ topic: Topic) -> String {
        switch topic {
        case .rawLoop, .rawCamera: "sensor_id"
        case .rawGPS: "route_id"
        case .rawWeather: "station_id"
        default: "event_id"
        }
    }

    static func unknownID(_ topic: Topic, serial: Int) -> Edit? {
        switch topic {
        case .rawLoop:
            Edit(action: .replace(field: "sensor_id", literal: "\"loop-x\(serial)\""), reason: .unknownSensor, detail: "unknown_sensor")
        case .rawCamera:
            Edit(action: .replace(field: "sensor_id", literal: "\"cam-x\(serial)\""), reason: .unknownSensor, detail: "unknown_sensor")
        case .rawGPS:
            Edit(action: .replace(field: "route_id", literal: "\"route-x\(serial)\""), reason: .unknownRoute, detail: "unknown_route")
        case .rawWeather:
            Edit(
                action: .replace(field: "neighborhood", literal: "\"atlantis\""), reason: .unknownNeighborhood,
                detail: "unknown_neighborhood")
        case .rawEvents:
            Edit(
                action: .replace(field: "segments", literal: "[\"seg-nowhere-\(serial)\"]"), reason: .unknownSegment,
                detail: "unknown_segment")
        default: nil
        }
    }

    static func impossible(_ topic: Topic) -> [Edit] {
        func edit(_ field: String, _ literal: String, _ reason: RejectReason, _ detail: String) -> Edit {
            Edit(action: .replace(field: field, literal: literal), reason: reason, detail: detail)
        }
        switch topic {
        case .rawLoop:
            return [
                edit("speed_kmh", "-12.5", .outOfRange, "negative_speed"),
                edit("speed_kmh", "412.0", .outOfRange, "speed_too_high"),
                edit("occupancy", "1.7", .outOfRange, "occupancy_above_one"),
                edit("vehicle_count", "-3", .outOfRange, "negative_count"),
                edit("speed_kmh", "NaN", .malformedJSON, "nan_bare"),
                edit("speed_kmh", "\"NaN\"", .notFinite, "nan_string"),
                edit("occupancy", "\"Infinity\"", .notFinite, "infinity_string"),
            ]
        case .rawCamera:
            return [
                edit("cars", "-4", .outOfRange, "negative_count"),
                edit("interval_s", "0", .outOfRange, "zero_interval"),
                edit("trucks", "NaN", .malformedJSON, "nan_bare"),
            ]
        case .rawGPS:
            return [
                edit("speed_kmh", "-30.0", .outOfRange, "negative_speed"),
                edit("distance_m", "-250.0", .outOfRange, "negative_distance"),
                edit("distance_m", "\"NaN\"", .notFinite, "nan_string"),
                edit("speed_kmh", "NaN", .malformedJSON, "nan_bare"),
            ]
        case .rawWeather:
            return [
                edit("temperature_c", "85.0", .outOfRange, "temperature_too_high"),
                edit("precipitation_mm_h", "-2.0", .outOfRange, "negative_precipitation"),
                edit("visibility_m", "\"NaN\"", .notFinite, "nan_string"),
                edit("temperature_c", "NaN", .malformedJSON, "nan_bare"),
            ]
        default:
            // Events carry ids and times only; nothing physical to make impossible.
            return []
        }
    }

    static func schema(_ topic: Topic) -> [Edit] {
        let wrongType: Edit? =
            switch topic {
            case .rawLoop:
                Edit(
                    action: .replace(field: "vehicle_count", literal: "\"twelve\""), reason: .wrongType, detail: "wrong_type:vehicle_count")
            case .rawCamera: Edit(action: .replace(field: "cars", literal: "\"many\""), reason: .wrongType, detail: "wrong_type:cars")
            case .rawGPS:
                Edit(action: .replace(field: "speed_kmh", literal: "\"fast\""), reason: .wrongType, detail: "wrong_type:speed_kmh")
            case .rawWeather:
                Edit(action: .replace(field: "temperature_c", literal: "\"warm\""), reason: .wrongType, detail: "wrong_type:temperature_c")
            case .rawEvents:
                Edit(action: .replace(field: "segments", literal: "\"seg\""), reason: .wrongType, detail: "wrong_type:segments")
            default: nil
            }
        let subject = subjectField(topic)
        return [
            Edit(action: .remove(field: subject), reason: .missingField, detail: "missing_field:\(subject)"),
            Edit(action: .remove(field: "event_time"), reason: .missingField, detail: "missing_field:event_time"),
            Edit(action: .replace(field: "v", literal: "99"), reason: .unsupportedVersion, detail: "unsupported_version"),
        ] + (wrongType.map { [$0] } ?? [])
    }
}
