/// A dataset a run read, as MLflow logs it (`mlflow.log_input`, `MlflowClient.log_inputs`): the
/// dataset's description and the input's tags (`mlflow.data.context`: "training", "eval", ...).
/// The registry stores what the client describes; the rows themselves stay where `source` says.
public struct DatasetInput: Sendable, Hashable, Codable {
    public var name: String
    /// The client's digest of the dataset's contents; with the name, what identifies it.
    public var digest: String
    public var sourceType: String
    /// Where the dataset is, as the client wrote it (often JSON: a path, a URL, a table).
    public var source: String
    public var schema: String?
    public var profile: String?
    public var tags: [String: String]

    public init(
        name: String, digest: String, sourceType: String, source: String, schema: String? = nil, profile: String? = nil,
        tags: [String: String] = [:]
    ) {
        self.name = name
        self.digest = digest
        self.sourceType = sourceType
        self.source = source
        self.schema = schema
        self.profile = profile
        self.tags = tags
    }

    /// MLflow's limits (`mlflow.utils.validation`), except the profile's: MLflow allows 16 MB, this
    /// registry 1 MB, the same as a schema.
    public enum Limits {
        public static let name = 500
        public static let digest = 36
        public static let sourceType = 36
        public static let source = 65_535
        public static let schema = 1_048_575
        public static let profile = 1_048_575
        public static let tagKey = 255
        public static let tagValue = 500
        public static let tagsPerInput = 100
        public static let perRequest = 1_000
    }

    /// What is wrong with this input, in words a client can act on; nil when it can be stored.
    public var problem: String? {
        func tooLong(_ field: String, _ value: String, _ limit: Int) -> String? {
            // Code points, as Postgres's length() and MLflow's len() count: a name of 500 letters
            // with combining accents is 1,000 of them.
            let length = value.unicodeScalars.count
            return length > limit ? "dataset '\(name.prefix(100))' \(field) has \(length) characters; the limit is \(limit)" : nil
        }
        if name.isEmpty { return "a dataset input needs a dataset name" }
        if digest.isEmpty { return "dataset '\(name.prefix(100))' needs a digest" }
        if let problem = tooLong("name", name, Limits.name) ?? tooLong("digest", digest, Limits.digest)
            ?? tooLong("source_type", sourceType, Limits.sourceType) ?? tooLong("source", source, Limits.source)
            ?? schema.flatMap({ tooLong("schema", $0, Limits.schema) }) ?? profile.flatMap({ tooLong("profile", $0, Limits.profile) })
        {
            return problem
        }
        if tags.count > Limits.tagsPerInput {
            return "dataset '\(name.prefix(100))' has \(tags.count) input tags; the limit is \(Limits.tagsPerInput)"
        }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty { return "dataset '\(name.prefix(100))' has an input tag without a key" }
            if let problem = tooLong("input tag key", key, Limits.tagKey)
                ?? tooLong("input tag '\(key.prefix(100))'", value, Limits.tagValue)
            {
                return problem
            }
        }
        if let text = ([name, digest, sourceType, source, schema ?? "", profile ?? ""] + tags.keys + tags.values).first(where: {
            $0.unicodeScalars.contains("\u{0}")
        }) {
            return "dataset '\(name.prefix(100))' has a NUL character in '\(text.prefix(40))', which the registry cannot store"
        }
        return nil
    }
}
