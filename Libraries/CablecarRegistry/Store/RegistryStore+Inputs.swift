import CablecarRegistryAPI
import PostgresNIO

extension RegistryStore {
    /// Records datasets a run read (MLflow's runs/log-inputs), all or none. A dataset already
    /// logged to the run (same name and digest) is not stored twice, as in MLflow.
    public func logInputs(runID: String, _ inputs: [DatasetInput]) async throws {
        guard inputs.count <= DatasetInput.Limits.perRequest else {
            throw RegistryError.invalid(
                "log-inputs accepts at most \(DatasetInput.Limits.perRequest) datasets per call, not \(inputs.count)")
        }
        for input in inputs {
            if let problem = input.problem { throw RegistryError.invalid(problem) }
        }
        try await transaction { connection in
            try await requireActiveRun(runID, on: connection)
            for input in inputs {
                let keys = input.tags.keys.sorted()
                let values = keys.map { input.tags[$0] ?? "" }
                try await connection.query(
                    """
                    INSERT INTO registry_run_inputs (run_id, name, digest, source_type, source, schema, profile, tag_keys, tag_values)
                    VALUES (\(runID), \(input.name), \(input.digest), \(input.sourceType), \(input.source), \(input.schema),
                            \(input.profile), \(keys), \(values))
                    ON CONFLICT (run_id, name, digest) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    /// The dataset inputs of `runIDs`, per run, in the order they were logged.
    func datasetInputs(of runIDs: [String], on connection: PostgresConnection? = nil) async throws -> [String: [DatasetInput]] {
        var result: [String: [DatasetInput]] = [:]
        for try await (runID, name, digest, sourceType, source, schema, profile, keys, values) in try await rows(
            """
            SELECT run_id, name, digest, source_type, source, schema, profile, tag_keys, tag_values FROM registry_run_inputs
            WHERE run_id = ANY(\(runIDs)) ORDER BY run_id, position
            """, on: connection
        ).decode((String, String, String, String, String, String?, String?, [String], [String]).self) {
            let tags = Dictionary(zip(keys, values), uniquingKeysWith: { first, _ in first })
            result[runID, default: []].append(
                DatasetInput(
                    name: name, digest: digest, sourceType: sourceType, source: source, schema: schema, profile: profile, tags: tags))
        }
        return result
    }
}
