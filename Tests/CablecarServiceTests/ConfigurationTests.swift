import CablecarService
import Testing

@Suite("Configuration from environment variables")
struct ConfigurationTests {
    let required = ConfigurationVariable("CABLECAR_TEST_TOKEN", default: nil, expected: "a token", summary: "test")
    let port = ConfigurationVariable("CABLECAR_TEST_PORT", default: "8080", expected: "an integer from 1 to 65535", summary: "test")

    @Test("a missing required variable names itself and what it expects")
    func missingRequired() {
        let error = #expect(throws: ConfigurationError.self) { try EnvironmentReader([:]).string(required) }
        #expect(error?.description == "configuration error: CABLECAR_TEST_TOKEN is required but not set; expected a token")
    }

    @Test("an empty value counts as malformed, not as missing-with-default")
    func emptyValue() {
        let error = #expect(throws: ConfigurationError.self) { try EnvironmentReader(["CABLECAR_TEST_PORT": " "]).int(port, in: 1...65535) }
        #expect(error?.problem == "is set but empty")
    }

    @Test(
        "defaults apply when unset; values are range-checked", arguments: [("0", false), ("65536", false), ("http", false), ("8443", true)])
    func integerRange(value: String, valid: Bool) throws {
        #expect(try EnvironmentReader([:]).int(port, in: 1...65535) == 8080)
        let reader = EnvironmentReader(["CABLECAR_TEST_PORT": value])
        if valid {
            #expect(try reader.int(port, in: 1...65535) == Int(value))
        } else {
            let error = #expect(throws: ConfigurationError.self) { try reader.int(port, in: 1...65535) }
            #expect(error?.description.contains("CABLECAR_TEST_PORT is \"\(value)\"") == true)
        }
    }

    @Test("the common configuration has working local defaults")
    func commonDefaults() throws {
        let configuration = try CommonConfiguration(environment: EnvironmentReader([:]), defaultHTTPPort: 8081)
        #expect(configuration.database.port == 55432)
        #expect(configuration.kafkaBrokers == "127.0.0.1:19092")
        #expect(configuration.httpPort == 8081)
    }

    @Test("a malformed database URL is refused without echoing the URL (it may hold a password)")
    func badDatabaseURL() {
        let environment = EnvironmentReader(["CABLECAR_DATABASE_URL": "mysql://user:hunter2@host/db"])
        let error = #expect(throws: ConfigurationError.self) { try CommonConfiguration(environment: environment, defaultHTTPPort: 1) }
        #expect(error?.variable == "CABLECAR_DATABASE_URL")
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test("broker lists must be host:port pairs")
    func badBrokers() {
        let environment = EnvironmentReader(["CABLECAR_KAFKA_BROKERS": "localhost"])
        let error = #expect(throws: ConfigurationError.self) { try CommonConfiguration(environment: environment, defaultHTTPPort: 1) }
        #expect(error?.variable == "CABLECAR_KAFKA_BROKERS")
        #expect(error?.description.contains("host:port") == true)
    }
}
