import CablecarRegistryAPI
import Crypto
import Foundation
import PostgresNIO

extension RegistryStore {
    /// Stores (or replaces) an artifact of a run; returns its sha256 (hex).
    @discardableResult
    public func putArtifact(runID: String, path: String, bytes: [UInt8]) async throws -> String {
        let path = try Self.normalizedArtifactPath(path)
        guard bytes.count <= limits.maxArtifactBytes else {
            throw RegistryError(
                .tooLarge,
                "artifact '\(path)' has \(bytes.count) bytes; the limit is \(limits.maxArtifactBytes) (CABLECAR_REGISTRY_MAX_ARTIFACT_BYTES)"
            )
        }
        let digest = Self.sha256Hex(bytes)
        try await transaction { connection in
            try await storeArtifact(runID: runID, path: path, bytes: bytes, on: connection)
        }
        return digest
    }

    /// The artifact upsert, in the caller's transaction (`path` already normalized).
    ///
    /// Registered models are immutable: once a run has a registered model version, none of its
    /// stored files may be replaced, and nothing may be added under a registered version's
    /// artifact path (it would change the version's digest). Refused for every caller, admin
    /// included; the run's row lock serializes this check with registrations.
    func storeArtifact(runID: String, path: String, bytes: [UInt8], on connection: PostgresConnection) async throws {
        try await requireActiveRun(runID, on: connection)
        try await connection.query("SELECT id FROM registry_runs WHERE id = \(runID) FOR UPDATE", logger: logger)
        let registered = try await registeredArtifactPaths(runID: runID, on: connection)
        if !registered.isEmpty {
            if let covering = registered.first(where: { !$0.path.isEmpty && (path == $0.path || path.hasPrefix($0.path + "/")) }) {
                throw RegistryError(
                    .invalidState,
                    "artifact '\(path)' of run \(runID) belongs to registered model \(covering.model) version \(covering.version) "
                        + "and is immutable; log the new model to a new run and register that")
            }
            var exists = false
            for try await _ in try await connection.query(
                "SELECT 1 FROM registry_artifacts WHERE run_id = \(runID) AND path = \(path)", logger: logger)
            {
                exists = true
            }
            if exists {
                throw RegistryError(
                    .invalidState,
                    "run \(runID) has registered model versions, so its artifact '\(path)' is immutable; write to a new path or a new run")
            }
        }
        let digest = Self.sha256Hex(bytes)
        let size = Int64(bytes.count)
        try await connection.query(
            """
            INSERT INTO registry_artifacts (run_id, path, content, sha256, size_bytes)
            VALUES (\(runID), \(path), \(ByteBuffer(bytes: bytes)), \(digest), \(size))
            ON CONFLICT (run_id, path) DO UPDATE
            SET content = EXCLUDED.content, sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, created_at = now()
            """, logger: logger)
        RegistryMetrics.artifactStored(bytes: bytes.count)
    }

    /// The artifact paths of registered versions made from `runID` ("" = the whole run).
    func registeredArtifactPaths(runID: String, on connection: PostgresConnection) async throws
        -> [(model: String, version: Int, path: String)]
    {
        var result: [(model: String, version: Int, path: String)] = []
        for try await (model, version, path) in try await connection.query(
            "SELECT model_name, version, artifact_path FROM registry_model_versions WHERE run_id = \(runID)", logger: logger
        ).decode((String, Int32, String).self) {
            result.append((model, Int(version), path.trimmingSlashes))
        }
        return result
    }

    /// Whether any registered model version was made from `runID` (its artifacts are then
    /// written only with the admin token, and never overwritten).
    public func hasRegisteredVersions(runID: String) async throws -> Bool {
        guard Self.isRunID(runID) else { return false }
        for try await _ in try await client.query(
            "SELECT 1 FROM registry_model_versions WHERE run_id = \(runID) LIMIT 1", logger: logger)
        {
            return true
        }
        return false
    }

    /// The artifact's bytes, checked against the stored sha256.
    public func artifact(runID: String, path: String) async throws -> [UInt8] {
        let path = try Self.normalizedArtifactPath(path)
        for try await (content, digest) in try await client.query(
            "SELECT content, sha256 FROM registry_artifacts WHERE run_id = \(runID) AND path = \(path)", logger: logger
        ).decode((ByteBuffer, String).self) {
            let bytes = content.getBytes(at: content.readerIndex, length: content.readableBytes) ?? []
            guard Self.sha256Hex(bytes) == digest else {
                throw RegistryError(.invalidState, "artifact '\(path)' of run \(runID) does not match its recorded sha256 \(digest)")
            }
            return bytes
        }
        throw RegistryError.notFound("run \(runID) has no artifact '\(path)'")
    }

    /// Artifacts of a run under `prefix` ("" = all), sorted by path.
    public func artifacts(runID: String, prefix: String = "") async throws -> [ArtifactInfo] {
        let trimmed = prefix.trimmingSlashes
        let pattern = trimmed.isEmpty ? "%" : Self.likeEscaped(trimmed) + "/%"
        var result: [ArtifactInfo] = []
        for try await (path, size, digest) in try await client.query(
            """
            SELECT path, size_bytes, sha256 FROM registry_artifacts
            WHERE run_id = \(runID) AND (path LIKE \(pattern) OR path = \(trimmed)) ORDER BY path
            """, logger: logger
        ).decode((String, Int64, String).self) {
            result.append(ArtifactInfo(path: path, sizeBytes: size, sha256: digest))
        }
        return result
    }

    /// The sha256 of an artifact path: the file's own digest, or for a directory the digest of
    /// its sorted "path sha256" lines. nil when the run has nothing there.
    func artifactDigest(runID: String, path: String, on connection: PostgresConnection) async throws -> String? {
        let path = try Self.normalizedArtifactPath(path)
        let pattern = Self.likeEscaped(path) + "/%"
        var lines: [String] = []
        var exact: String?
        for try await (stored, digest) in try await connection.query(
            """
            SELECT path, sha256 FROM registry_artifacts WHERE run_id = \(runID) AND (path = \(path) OR path LIKE \(pattern))
            ORDER BY path
            """, logger: logger
        ).decode((String, String).self) {
            if stored == path { exact = digest }
            lines.append("\(stored) \(digest)\n")
        }
        if let exact { return exact }
        if lines.isEmpty { return nil }
        return Self.sha256Hex(Array(lines.joined().utf8))
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Relative, slash-separated, no "." or ".." segments: artifact paths never escape their run.
    static func normalizedArtifactPath(_ path: String) throws -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.isEmpty else { throw RegistryError.invalid("artifact path is empty") }
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else {
            throw RegistryError.invalid("artifact path '\(path)' must not contain '.' or '..' segments")
        }
        let joined = segments.joined(separator: "/")
        guard joined.unicodeScalars.count <= 1000 else { throw RegistryError.invalid("artifact path is longer than 1000 characters") }
        return joined
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension String {
    var trimmingSlashes: String {
        split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
