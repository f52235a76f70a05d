import CablecarDomain
import CablecarForecasting

/// Where a training request stands, as GET /api/v1/train/{id} reports it.
public struct RequestStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case queued, running, succeeded, failed
        /// An alert merged into another alert's queued retraining (`merged_into`).
        case merged
    }

    public var requestID: String
    public var state: State
    public var source: String
    public var attempts: Int
    public var request: TrainingRequest
    public var runID: String?
    public var modelName: String?
    public var modelVersion: Int?
    /// "promoted", "candidate (gates failed)", "candidate (auto-promotion off)".
    public var decision: String?
    public var outcome: TrainingOutcome?
    public var error: String?
    /// For a merged alert: the request that trains for it.
    public var mergedInto: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case state, source, attempts, request
        case runID = "run_id"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case decision, outcome, error
        case mergedInto = "merged_into"
    }
}

/// What a successful training produced: the evaluation, the gates' verdict and what happened
/// to the candidate. Stored with the request and returned by the HTTP API.
public struct TrainingOutcome: Codable, Sendable, Equatable {
    public var runID: String
    public var modelName: String
    public var modelVersion: Int
    public var artifactSHA256: String
    public var datasetFingerprint: String
    public var productionVersion: Int?
    public var evaluation: EvaluationReport
    public var verdict: GateVerdict
    public var promoted: Bool
    public var decision: String
    public var trainingSeconds: Double

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case artifactSHA256 = "artifact_sha256"
        case datasetFingerprint = "dataset_fingerprint"
        case productionVersion = "production_version"
        case evaluation, verdict, promoted, decision
        case trainingSeconds = "training_seconds"
    }
}
