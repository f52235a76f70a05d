import CablecarDomain

/// MLflow's run statuses. A run starts RUNNING and ends in one of the terminal ones.
public enum RunStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case running = "RUNNING"
    case scheduled = "SCHEDULED"
    case finished = "FINISHED"
    case failed = "FAILED"
    case killed = "KILLED"

    public var isTerminal: Bool { self == .finished || self == .failed || self == .killed }
}

/// One point of a metric's history.
public struct MetricPoint: Sendable, Hashable, Codable {
    public var key: String
    public var value: Double
    public var timestamp: EpochMillis
    public var step: Int64

    public init(key: String, value: Double, timestamp: EpochMillis, step: Int64 = 0) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step
    }
}

/// A training (or evaluation) run: what went in, what came out, and how it ended.
public struct Run: Sendable, Hashable, Codable {
    /// 32 lowercase hex digits, like MLflow's run ids.
    public var id: String
    public var experimentID: Int64
    public var name: String
    public var status: RunStatus
    public var failureReason: String?
    public var startTime: EpochMillis
    public var endTime: EpochMillis?
    public var lifecycleStage: String
    public var userID: String
    public var host: String
    public var params: [String: String]
    /// The latest value of each metric (by step, then timestamp); `metricHistory` has all points.
    public var latestMetrics: [String: MetricPoint]
    public var tags: [String: String]
    public var lineage: RunLineage
    /// The datasets the run read, in the order they were logged; nil where a server did not say.
    public var datasetInputs: [DatasetInput]?

    /// nil while the run has no end, and for times no clock gives: both come from clients (MLflow's
    /// API takes any 64-bit start and end), and an end before the start or a span beyond 64 bits
    /// must not stop a process that lists runs.
    public var durationMillis: EpochMillis? {
        guard let endTime else { return nil }
        let (span, overflow) = endTime.subtractingReportingOverflow(startTime)
        return overflow || span < 0 ? nil : span
    }

    public init(
        id: String, experimentID: Int64, name: String, status: RunStatus, failureReason: String?, startTime: EpochMillis,
        endTime: EpochMillis?, lifecycleStage: String, userID: String, host: String, params: [String: String],
        latestMetrics: [String: MetricPoint], tags: [String: String], lineage: RunLineage, datasetInputs: [DatasetInput]? = nil
    ) {
        self.id = id
        self.experimentID = experimentID
        self.name = name
        self.status = status
        self.failureReason = failureReason
        self.startTime = startTime
        self.endTime = endTime
        self.lifecycleStage = lifecycleStage
        self.userID = userID
        self.host = host
        self.params = params
        self.latestMetrics = latestMetrics
        self.tags = tags
        self.lineage = lineage
        self.datasetInputs = datasetInputs
    }
}

/// What a run was trained on: the dataset snapshot, feature definitions and code.
public struct RunLineage: Sendable, Hashable, Codable {
    public var datasetFingerprint: String?
    public var featureVersions: [String: Int]
    /// The git commit the trainer was built from.
    public var codeVersion: String?

    public init(datasetFingerprint: String? = nil, featureVersions: [String: Int] = [:], codeVersion: String? = nil) {
        self.datasetFingerprint = datasetFingerprint
        self.featureVersions = featureVersions
        self.codeVersion = codeVersion
    }
}

/// Which runs `RegistryStore.runs` returns.
public struct RunFilter: Sendable, Hashable {
    public var status: RunStatus?
    /// Runs that have this tag with this value.
    public var tags: [String: String]
    public var limit: Int

    public init(status: RunStatus? = nil, tags: [String: String] = [:], limit: Int = 100) {
        self.status = status
        self.tags = tags
        self.limit = limit
    }
}

/// A stored artifact's description (the bytes come from `RegistryStore.artifact`).
public struct ArtifactInfo: Sendable, Hashable, Codable {
    public var path: String
    public var sizeBytes: Int64
    public var sha256: String

    public init(path: String, sizeBytes: Int64, sha256: String) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
    }
}
