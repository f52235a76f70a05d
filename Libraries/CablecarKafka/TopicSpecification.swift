/// A topic a service needs, created at start-up when missing.
public struct TopicSpecification: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configs, e.g. `retention.ms`.
    public var configs: [String: String]

    public init(name: String, partitions: Int = 3, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}
