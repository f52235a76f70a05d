import CablecarForecast
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@Suite("Forecast configuration")
struct ForecastConfigurationTests {
    @Test func readmeDocumentsEveryVariable() throws {
        let readme = try String(contentsOf: TestStack.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for variable in ForecastConfiguration.variables {
            #expect(readme.contains("`\(variable.name)`"), "README lacks \(variable.name)")
        }
        #expect(readme.contains("`CABLECAR_REGISTRY_ADMIN_TOKEN` | cablecar-trainer (registry API), cablecar-forecast"))
    }

    @Test func defaultsAndRefusals() throws {
        let defaults = try ForecastConfiguration(environment: EnvironmentReader([:]))
        #expect(defaults == ForecastConfiguration())
        #expect(defaults.adminToken == nil)
        let set = try ForecastConfiguration(
            environment: EnvironmentReader([
                "CABLECAR_FORECAST_CLOCK": "features", "CABLECAR_FORECAST_TOPIC_PREFIX": "x.", "CABLECAR_REGISTRY_ADMIN_TOKEN": "s",
                "CABLECAR_FORECAST_FEATURE_MAX_AGE_S": "60",
            ]))
        #expect(set.clock == .features)
        #expect(set.name(of: .forecastPredictions) == "x.forecast.predictions")
        #expect(set.adminToken == "s")
        #expect(set.featureMaxAgeMillis == 60_000)
        for (name, value) in [
            ("CABLECAR_FORECAST_CLOCK", "sundial"), ("CABLECAR_FORECAST_MAX_SEGMENTS", "0"), ("CABLECAR_FORECAST_FEATURES_URL", "ftp://x"),
            ("CABLECAR_FORECAST_LOG_BUFFER", "-5"), ("CABLECAR_FORECAST_FEATURE_CACHE_MS", "9999999999999999999999"),
        ] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") {
                try ForecastConfiguration(environment: EnvironmentReader([name: value]))
            }
        }
    }
}
