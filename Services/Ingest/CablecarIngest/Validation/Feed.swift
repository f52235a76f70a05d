import CablecarDomain

/// The five raw feeds, by the name the push endpoint and the accounting use.
public enum Feed: String, Sendable, CaseIterable, Codable, Hashable {
    case loop, camera, gps, weather, events

    public var topic: Topic {
        switch self {
        case .loop: .rawLoop
        case .camera: .rawCamera
        case .gps: .rawGPS
        case .weather: .rawWeather
        case .events: .rawEvents
        }
    }

    public init?(topic: String) {
        guard let feed = Feed.allCases.first(where: { $0.topic.rawValue == topic }) else { return nil }
        self = feed
    }

    /// Loop and camera readings aggregate into `obs.traffic`; the rest into `obs.context`.
    var stream: Stream { self == .loop || self == .camera ? .traffic : .context }

    /// Event-time streams, each with its own watermark.
    enum Stream: String, Sendable, CaseIterable {
        case traffic, context
    }
}
