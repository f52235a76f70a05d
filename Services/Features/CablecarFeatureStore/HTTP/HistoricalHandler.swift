import CablecarDomain
import CablecarFeatures
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// Historical (point-in-time) retrieval from the offline store, streamed as NDJSON: a
/// `SnapshotHeader` line, one row per line in canonical order, a `SnapshotTrailer` line with
/// the fingerprint. With `record`, the snapshot is also recorded in `feature_snapshots`.
package struct HistoricalHandler: Sendable {
    /// Bytes collected before a write to the connection. Every write is a hop to the event loop
    /// and a wait for the socket, so small chunks stall the stream from Postgres.
    static let chunkBytes = 1 << 20
    let computer: FeatureComputer
    let maxRows: Int
    let database: PostgresClient
    let logger: Logger

    package init(computer: FeatureComputer, maxRows: Int, database: PostgresClient, logger: Logger) {
        self.computer = computer
        self.maxRows = maxRows
        self.database = database
        self.logger = logger
    }

    package struct Plan: Sendable {
        var request: SnapshotRequest
        package var selected: FeatureComputer
        package var indices: [Int]
        var segments: [String]
        var instants: Int
        var expectedRows: Int
    }

    package func plan(_ request: SnapshotRequest) throws(APIError) -> Plan {
        let selected: FeatureComputer
        let segments: [String]
        let instants: Int
        do {
            selected = try computer.selecting(request.features)
            segments = try computer.segmentIDs(inNeighborhoods: request.neighborhoods)
            instants = try FeatureComputer.instantCount(of: request)
        } catch let error as FeatureError {
            switch error {
            case .unknownFeatures(let names): throw APIError(400, "unknown_features", error.description, unknown: names)
            case .unknownNeighborhoods(let names): throw APIError(404, "unknown_entities", error.description, unknown: names)
            default: throw APIError(400, "invalid_range", error.description)
            }
        } catch {
            throw APIError(400, "invalid_request", "\(error)")
        }
        let expected = instants.multipliedReportingOverflow(by: segments.count)
        guard !expected.overflow, expected.partialValue <= maxRows else {
            throw APIError(
                400, "too_many_rows",
                "the request covers more than \(maxRows) rows; ask for a shorter range, a coarser step or fewer neighborhoods")
        }
        let indices = selected.featureNames.compactMap { computer.featureNames.firstIndex(of: $0) }
        return Plan(
            request: request, selected: selected, indices: indices, segments: segments, instants: instants,
            expectedRows: expected.partialValue)
    }

    func response(_ plan: Plan, record: Bool, format: RetrievalFormat) -> Response {
        let database = self.database
        let logger = self.logger
        let featureSet = computer.featureSetID
        let allSegments = plan.request.neighborhoods == nil
        let allFeatures = plan.indices == Array(computer.featureNames.indices)
        let body = ResponseBody { writer in
            let header = SnapshotHeader(
                request: plan.request, featureNames: plan.selected.featureNames, featureVersions: plan.selected.featureVersions,
                expectedRows: plan.expectedRows)
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Self.chunkBytes + (1 << 14))
            try format.header(header, to: &buffer)
            var hasher = SnapshotFingerprint.Hasher(
                featureNames: plan.selected.featureNames, featureVersions: plan.selected.featureVersions)
            var count = 0
            var failure: String?
            do {
                try await RowStore.readRange(
                    start: plan.request.start, end: plan.request.end, step: plan.request.stepMillis,
                    segments: allSegments ? nil : plan.segments, featureSet: featureSet, on: database, logger: logger
                ) { row in
                    guard row.isCurrent else {
                        throw APIError(
                            409, "stale_rows", "rows at \(row.timestamp) were computed with other feature definitions; backfill the range")
                    }
                    Self.hash(row, indices: allFeatures ? nil : plan.indices, into: &hasher)
                    try format.row(row, indices: plan.indices, allFeatures: allFeatures, to: &buffer)
                    count += 1
                    if buffer.readableBytes > Self.chunkBytes {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if count != plan.expectedRows {
                    failure =
                        "incomplete: \(count) of \(plan.expectedRows) rows are materialized; wait for the stream or backfill the range"
                }
            } catch {
                failure = "\(error)"
            }
            var trailer = SnapshotTrailer(fingerprint: nil, rows: count, snapshotID: nil, error: failure)
            if failure == nil {
                let fingerprint = hasher.finalize()
                trailer.fingerprint = fingerprint
                if record {
                    do {
                        trailer.snapshotID = try await SnapshotStore.record(
                            fingerprint: fingerprint, request: plan.request, versions: plan.selected.featureVersions, rows: count,
                            on: database, logger: logger)
                    } catch {
                        trailer.error = "the snapshot was computed but could not be recorded: \(error)"
                    }
                }
            }
            try format.trailer(trailer, to: &buffer)
            try await writer.write(buffer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: format.contentType], body: body)
    }

    /// Hashes a stored row without decoding it (the same bytes as hashing its `FeatureRow`).
    @inline(__always)
    package static func hash(_ row: StoredRowCells, indices: [Int]?, into hasher: inout SnapshotFingerprint.Hasher) {
        row.segmentID.withUnsafeReadableBytes { segment in
            row.neighborhood.withUnsafeReadableBytes { neighborhood in
                row.vals.withUnsafeReadableBytes { packed in
                    hasher.add(
                        segmentID: segment, neighborhood: neighborhood, timestamp: row.timestamp, packed: packed, indices: indices,
                        speed: row.speed, flow: row.flow)
                }
            }
        }
    }
}

enum SnapshotStore {
    static func record(
        fingerprint: String, request: SnapshotRequest, versions: [String: Int], rows: Int, on client: PostgresClient, logger: Logger
    ) async throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let requestJSON = String(decoding: try encoder.encode(request), as: UTF8.self)
        let versionsJSON = String(decoding: try encoder.encode(versions), as: UTF8.self)
        let result = try await client.query(
            """
            INSERT INTO feature_snapshots (fingerprint, request, feature_versions, row_count)
            VALUES (\(fingerprint), \(requestJSON)::jsonb, \(versionsJSON)::jsonb, \(Int64(rows))) RETURNING id
            """, logger: logger)
        for try await (id) in result.decode(Int64.self) { return id }
        throw APIError(500, "snapshot_not_recorded", "the database returned no snapshot id")
    }
}
