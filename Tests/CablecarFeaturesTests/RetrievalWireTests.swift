import CablecarDomain
import CablecarFeatures
import Crypto
import Foundation
import NIOCore
import Testing

@testable import CablecarFeatureStore

/// The retrieval wire: the fingerprint's byte layout (checked against an independent,
/// straightforward implementation), the raw-bytes hashing path, and the binary row format.
@Suite struct RetrievalWireTests {
    static let names = ["a", "b", "c"]
    static let versions = ["a": 1, "b": 2, "c": 1]

    static let rows: [FeatureRow] = (0..<500).map(row).sorted { ($0.timestamp, $0.segmentID) < ($1.timestamp, $1.segmentID) }

    static func row(_ i: Int) -> FeatureRow {
        let neighborhood = i % 3 == 0 ? "Financial District" : "Bayview"
        let timestamp: EpochMillis = 1_740_988_800_000 + EpochMillis(i / 17) * 300_000
        let second: Double? = i % 5 == 0 ? nil : -Double(i) / 7
        let values: [Double?] = [Double(i) * 0.1, second, 1e-300 * Double(i)]
        let speed: Double? = i % 7 == 0 ? nil : 42.125
        return FeatureRow(
            segmentID: "segment-\(i % 17)-with-a-long-name", neighborhood: neighborhood, timestamp: timestamp, values: values,
            actualSpeedKmh: speed, actualFlowVehiclesPerHour: Double(i))
    }

    /// The fingerprint as documented, written the plain way (one byte array, sha256 at the end).
    static func referenceFingerprint(_ rows: [FeatureRow]) -> String {
        var bytes: [UInt8] = []
        func int(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func text(_ s: String) {
            int(Int64(s.utf8.count))
            bytes += Array(s.utf8)
        }
        func value(_ v: Double?) {
            guard let v else { return bytes.append(0) }
            bytes.append(1)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
        }
        text("cablecar.features.snapshot.v1")
        int(Int64(names.count))
        for name in names {
            text(name)
            int(Int64(versions[name] ?? -1))
        }
        for row in rows {
            text(row.segmentID)
            text(row.neighborhood)
            int(row.timestamp)
            int(Int64(row.values.count))
            row.values.forEach(value)
            value(row.actualSpeedKmh)
            value(row.actualFlowVehiclesPerHour)
        }
        int(Int64(rows.count))
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func stored(_ row: FeatureRow) -> StoredRowCells {
        StoredRowCells(
            segmentID: ByteBuffer(string: row.segmentID), neighborhood: ByteBuffer(string: row.neighborhood), timestamp: row.timestamp,
            isCurrent: true, vals: ByteBuffer(bytes: VectorCodec.encode(row.values)), speed: row.actualSpeedKmh,
            flow: row.actualFlowVehiclesPerHour)
    }

    @Test func fingerprintMatchesTheDocumentedLayout() {
        let rows = Self.rows
        #expect(
            SnapshotFingerprint.compute(featureNames: Self.names, featureVersions: Self.versions, rows: rows)
                == Self.referenceFingerprint(rows))
        // Beyond one scratch buffer (64 KiB) of rows, and with no rows at all.
        let many = (0..<3).flatMap { copy in
            rows.map {
                var r = $0
                r.timestamp += EpochMillis(copy) * 86_400_000
                return r
            }
        }
        #expect(
            SnapshotFingerprint.compute(featureNames: Self.names, featureVersions: Self.versions, rows: many)
                == Self.referenceFingerprint(many))
        #expect(
            SnapshotFingerprint.compute(featureNames: Self.names, featureVersions: Self.versions, rows: []) == Self.referenceFingerprint([])
        )
    }

    @Test func hashingStoredBytesEqualsHashingDecodedRows() {
        var fromRows = SnapshotFingerprint.Hasher(featureNames: Self.names, featureVersions: Self.versions)
        var fromBytes = fromRows
        var picked = SnapshotFingerprint.Hasher(featureNames: ["c", "a"], featureVersions: Self.versions)
        var pickedRows = picked
        for row in Self.rows {
            fromRows.add(row)
            HistoricalHandler.hash(Self.stored(row), indices: nil, into: &fromBytes)
            HistoricalHandler.hash(Self.stored(row), indices: [2, 0], into: &picked)
            var subset = row
            subset.values = [row.values[2], row.values[0]]
            pickedRows.add(subset)
        }
        #expect(fromBytes.finalize() == fromRows.finalize())
        #expect(picked.finalize() == pickedRows.finalize())
        #expect(picked.finalize() != fromRows.finalize())
    }

    static func binaryStream(_ rows: [FeatureRow], indices: [Int] = [0, 1, 2], trailer: SnapshotTrailer? = nil) throws -> Data {
        let header = SnapshotHeader(
            request: SnapshotRequest(start: 0, end: 1), featureNames: indices.map { names[$0] }, featureVersions: versions,
            expectedRows: rows.count)
        var buffer = ByteBuffer()
        try RetrievalFormat.binary.header(header, to: &buffer)
        for row in rows { try RetrievalFormat.binary.row(stored(row), indices: indices, allFeatures: indices == [0, 1, 2], to: &buffer) }
        let subset = rows.map { row in
            var r = row
            r.values = indices.map { row.values[$0] }
            return r
        }
        let fingerprint = SnapshotFingerprint.compute(featureNames: header.featureNames, featureVersions: versions, rows: subset)
        try RetrievalFormat.binary.trailer(
            trailer ?? SnapshotTrailer(fingerprint: fingerprint, rows: rows.count, snapshotID: 9, error: nil), to: &buffer)
        return Data(buffer: buffer)
    }

    @Test func binaryRowsRoundTrip() throws {
        let parsed = try BinaryRows.decode(try Self.binaryStream(Self.rows))
        #expect(parsed.rows == Self.rows)
        #expect(parsed.header.featureNames == Self.names)
        #expect(parsed.trailer.snapshotID == 9)
        #expect(parsed.computedFingerprint == parsed.trailer.fingerprint)

        let subset = try BinaryRows.decode(try Self.binaryStream(Self.rows, indices: [1]))
        #expect(subset.rows.map(\.values) == Self.rows.map { [$0.values[1]] })
        #expect(subset.computedFingerprint == subset.trailer.fingerprint)
    }

    @Test func ndjsonAndBinaryCarryTheSameRows() throws {
        var buffer = ByteBuffer()
        for row in Self.rows { try RetrievalFormat.ndjson.row(Self.stored(row), indices: [0, 1, 2], allFeatures: true, to: &buffer) }
        let lines = Data(buffer: buffer).split(separator: UInt8(ascii: "\n"))
        let decoded = try lines.map { try JSONDecoder().decode(FeatureRow.self, from: Data($0)) }
        #expect(decoded == Self.rows)
    }

    @Test func damagedBinaryStreamsAreRefusedWithAReason() throws {
        let good = try Self.binaryStream(Array(Self.rows.prefix(20)))
        #expect(throws: BinaryRows.DecodeError.self) { try BinaryRows.decode(Data("{\"request\":1}\n".utf8)) }
        for cut in [4, 30, good.count / 2, good.count - 1] {
            #expect(throws: BinaryRows.DecodeError.self, "cut at \(cut)") { try BinaryRows.decode(good.prefix(cut)) }
        }
        var flipped = good
        let valueByte = flipped.count - 80
        flipped[valueByte] ^= 0x01
        if let parsed = try? BinaryRows.decode(flipped) {
            // A flipped value bit decodes, but no longer hashes to the announced fingerprint.
            #expect(parsed.computedFingerprint != parsed.trailer.fingerprint)
        }
        #expect(throws: BinaryRows.DecodeError.self) { try BinaryRows.decode(good + Data([1, 2, 3])) }
    }
}
