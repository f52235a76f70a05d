import CablecarDomain
import CablecarRegistry
import CablecarRegistryAPI
import Foundation

/// Cablecar's registry objects in the shapes MLflow's REST API uses.
enum MLflowJSON {
    static func keyValues(_ values: [String: String]) -> [[String: Any]] {
        values.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] }
    }

    static func experiment(_ experiment: Experiment) -> [String: Any] {
        [
            "experiment_id": String(experiment.id), "name": experiment.name, "artifact_location": experiment.artifactLocation,
            "lifecycle_stage": experiment.lifecycleStage, "creation_time": experiment.createdAt,
            "last_update_time": experiment.updatedAt, "tags": keyValues(experiment.tags),
        ]
    }

    /// Runs of experiments whose artifacts this server stores get "mlflow-artifacts:/<exp>/<run>/artifacts".
    static func artifactURI(_ run: Run, experimentLocation: String) -> String {
        let base = experimentLocation.isEmpty ? "mlflow-artifacts:/\(run.experimentID)" : experimentLocation
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/\(run.id)/artifacts"
    }

    static func runInfo(_ run: Run, experimentLocation: String) -> [String: Any] {
        var info: [String: Any] = [
            "run_id": run.id, "run_uuid": run.id, "run_name": run.name, "experiment_id": String(run.experimentID),
            "user_id": run.userID, "status": run.status.rawValue, "start_time": run.startTime,
            "artifact_uri": artifactURI(run, experimentLocation: experimentLocation), "lifecycle_stage": run.lifecycleStage,
        ]
        if let end = run.endTime { info["end_time"] = end }
        return info
    }

    static func run(_ run: Run, experimentLocation: String) -> [String: Any] {
        var tags = run.tags
        // Lineage is visible to MLflow clients as reserved tags.
        if let fingerprint = run.lineage.datasetFingerprint { tags["cablecar.dataset_fingerprint"] = fingerprint }
        if let code = run.lineage.codeVersion { tags["cablecar.code_version"] = code }
        for (feature, version) in run.lineage.featureVersions { tags["cablecar.feature_version.\(feature)"] = String(version) }
        if let reason = run.failureReason { tags["cablecar.failure_reason"] = reason }
        tags["mlflow.runName"] = tags["mlflow.runName"] ?? run.name
        let metrics: [[String: Any]] = run.latestMetrics.values.sorted { $0.key < $1.key }.map(metric)
        return [
            "info": runInfo(run, experimentLocation: experimentLocation),
            "data": ["metrics": metrics, "params": keyValues(run.params), "tags": keyValues(tags)],
            "inputs": ["dataset_inputs": (run.datasetInputs ?? []).map(datasetInput)],
        ]
    }

    static func datasetInput(_ input: DatasetInput) -> [String: Any] {
        var dataset: [String: Any] = [
            "name": input.name, "digest": input.digest, "source_type": input.sourceType, "source": input.source,
        ]
        if let schema = input.schema { dataset["schema"] = schema }
        if let profile = input.profile { dataset["profile"] = profile }
        return ["tags": keyValues(input.tags), "dataset": dataset]
    }

    static func metric(_ point: MetricPoint) -> [String: Any] {
        ["key": point.key, "value": number(point.value), "timestamp": point.timestamp, "step": point.step]
    }

    /// JSON has no NaN or infinities; proto3 JSON (what MLflow clients parse) spells them as strings.
    static func number(_ value: Double) -> Any {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return value
    }

    static func stageName(_ stage: ModelStage) -> String {
        switch stage {
        case .candidate: return "None"
        case .staging: return "Staging"
        case .production: return "Production"
        case .archived: return "Archived"
        }
    }

    /// MLflow's stage names and Cablecar's, case-insensitively.
    static func stage(named name: String) -> ModelStage? {
        switch name.lowercased() {
        case "none", "candidate": return .candidate
        case "staging": return .staging
        case "production": return .production
        case "archived": return .archived
        default: return nil
        }
    }

    static func modelVersion(_ version: ModelVersion) -> [String: Any] {
        var tags = version.tags
        if let digest = version.artifactSHA256 { tags["cablecar.artifact_sha256"] = digest }
        var object: [String: Any] = [
            "name": version.modelName, "version": String(version.version), "creation_timestamp": version.createdAt,
            "last_updated_timestamp": version.updatedAt, "user_id": version.createdBy, "current_stage": stageName(version.stage),
            "description": version.description, "source": version.source, "status": "READY", "tags": keyValues(tags),
            "aliases": version.aliases, "run_link": "",
        ]
        if let run = version.runID { object["run_id"] = run }
        return object
    }

    static func registeredModel(_ model: RegisteredModel, latest: [ModelVersion]) -> [String: Any] {
        [
            "name": model.name, "creation_timestamp": model.createdAt, "last_updated_timestamp": model.updatedAt,
            "description": model.description, "tags": keyValues(model.tags),
            "aliases": model.aliases.sorted { $0.key < $1.key }.map { ["alias": $0.key, "version": String($0.value)] },
            "latest_versions": latest.map(modelVersion),
        ]
    }

    /// The newest version in each stage, as MLflow's `latest_versions`.
    static func latestPerStage(_ versions: [ModelVersion]) -> [ModelVersion] {
        var seen = Set<ModelStage>()
        var result: [ModelVersion] = []
        for version in versions.sorted(by: { $0.version > $1.version }) where seen.insert(version.stage).inserted {
            result.append(version)
        }
        return result.sorted { $0.version < $1.version }
    }
}
