/// Every Kafka topic the platform uses, in one place.
public enum Topic: String, CaseIterable, Sendable, Codable {
    case rawLoop = "raw.loop"
    case rawCamera = "raw.camera"
    case rawGPS = "raw.gps"
    case rawWeather = "raw.weather"
    case rawEvents = "raw.events"
    case observedTraffic = "obs.traffic"
    case observedContext = "obs.context"
    case rejected = "obs.rejected"
    case featuresReady = "features.ready"
    case trainRequests = "train.requests"
    case modelEvents = "model.events"
    case forecastPredictions = "forecast.predictions"
    case monitorAlerts = "monitor.alerts"

    /// The raw feeds the simulator writes and ingest reads.
    public static let rawFeeds: [Topic] = [.rawLoop, .rawCamera, .rawGPS, .rawWeather, .rawEvents]
}
