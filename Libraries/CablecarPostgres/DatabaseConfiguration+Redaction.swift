/// A configuration holding the database password describes itself without it, whichever way it
/// is printed: string interpolation, `debugPrint`, `dump`, or a logger describing a service that
/// holds it (swift-service-lifecycle logs its services at debug level).
extension DatabaseConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "DatabaseConfiguration(\(redactedURL), tls: \(tlsMode.rawValue))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["url": redactedURL, "tls": tlsMode.rawValue], displayStyle: .struct)
    }
}
