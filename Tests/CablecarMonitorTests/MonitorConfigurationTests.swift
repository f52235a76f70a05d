import CablecarMonitor
import CablecarService
import CablecarTestSupport
import Foundation
import Testing

@Suite struct MonitorConfigurationTests {
    @Test func everyVariableHasAREADMERowWithItsDefault() throws {
        let readme = try String(contentsOf: TestStack.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for variable in MonitorConfiguration.variables {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(variable.name)` |") }
            #expect(row != nil, "README lacks \(variable.name)")
            if let row, let value = variable.defaultValue, !value.isEmpty {
                #expect(row.contains("`\(value)`"), "README's default of \(variable.name)")
            }
        }
    }

    @Test func defaultsParseAndOutOfRangeValuesAreRefusedWithTheirName() throws {
        let defaults = try MonitorConfiguration(environment: EnvironmentReader([:]))
        #expect(defaults == MonitorConfiguration())
        #expect(throws: ConfigurationError.self) {
            try MonitorConfiguration(environment: EnvironmentReader(["CABLECAR_MONITOR_OPEN_AFTER": "0"]))
        }
        do {
            _ = try MonitorConfiguration(environment: EnvironmentReader(["CABLECAR_MONITOR_ALPHA": "2"]))
            Issue.record("alpha 2 accepted")
        } catch let error as ConfigurationError {
            #expect(error.variable == "CABLECAR_MONITOR_ALPHA")
        }
    }
}
