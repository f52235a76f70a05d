/// A message with a schema version and an event time, as every Cablecar topic carries.
///
/// The version is the `"v"` field. Readers accept the versions they know and reject the rest
/// with a reason (`RejectReason.unsupportedVersion`) instead of guessing.
public protocol SchemaVersioned: Codable, Sendable, Equatable {
    /// The newest version this build writes.
    static var currentVersion: Int { get }
    /// Versions this build can read.
    static var readableVersions: ClosedRange<Int> { get }
    /// The Kafka topic this message travels on.
    static var topic: Topic { get }
    var version: Int { get }
    var eventTime: EpochMillis { get }
}

extension SchemaVersioned {
    public static var readableVersions: ClosedRange<Int> { 1...currentVersion }
}
