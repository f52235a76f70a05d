import CablecarRegistry
import CablecarRegistryAPI
import CablecarService

/// The admin token is never printed: not by interpolation, `debugPrint`, `dump`, nor by a logger
/// describing a service that holds the configuration.
extension RegistryHTTPConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "RegistryHTTPConfiguration(adminToken: \(adminToken == nil ? "unset" : "***"), maxRequestBytes: \(maxRequestBytes), "
            + "maxArtifactBytes: \(maxArtifactBytes))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "adminToken": adminToken == nil ? "unset" : "***", "maxRequestBytes": maxRequestBytes,
                "maxArtifactBytes": maxArtifactBytes,
            ], displayStyle: .struct)
    }
}

extension RegistryConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "RegistryConfiguration(\(http.description))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["http": http.description], displayStyle: .struct) }
}

extension AdminAuthorization: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AdminAuthorization(token: \(token == nil ? "unset" : "***"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["token": token == nil ? "unset" : "***"], displayStyle: .struct) }
}
