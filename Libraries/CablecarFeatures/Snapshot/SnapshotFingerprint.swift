import CablecarDomain
import Crypto

/// sha256 over the feature versions and the rows in canonical order (timestamp, then segment
/// id). Doubles are hashed by bit pattern, so "the same" means bit-identical, which is what a
/// reproducible training run needs.
public enum SnapshotFingerprint {
    public static func compute(featureNames: [String], featureVersions: [String: Int], rows: [FeatureRow]) -> String {
        var hasher = Hasher(featureNames: featureNames, featureVersions: featureVersions)
        if isCanonical(rows) {
            for row in rows { hasher.add(row) }
        } else {
            for row in rows.sorted(by: { ($0.timestamp, $0.segmentID) < ($1.timestamp, $1.segmentID) }) { hasher.add(row) }
        }
        return hasher.finalize()
    }

    public static func isCanonical(_ rows: [FeatureRow]) -> Bool {
        for i in rows.indices.dropFirst() where (rows[i - 1].timestamp, rows[i - 1].segmentID) >= (rows[i].timestamp, rows[i].segmentID) {
            return false
        }
        return true
    }

    /// Incremental form for streamed snapshots: feed rows in canonical order.
    public struct Hasher: Sendable {
        private var sha = SHA256()
        private var buffer: [UInt8] = []
        private var count: Int64 = 0

        public init(featureNames: [String], featureVersions: [String: Int]) {
            buffer.reserveCapacity(1 << 16)
            append("cablecar.features.snapshot.v1")
            append(Int64(featureNames.count))
            for name in featureNames {
                append(name)
                append(Int64(featureVersions[name] ?? -1))
            }
        }

        public mutating func add(_ row: FeatureRow) {
            append(row.segmentID)
            append(row.neighborhood)
            append(row.timestamp)
            append(Int64(row.values.count))
            for value in row.values { append(value) }
            append(row.actualSpeedKmh)
            append(row.actualFlowVehiclesPerHour)
            count += 1
            if buffer.count > 60_000 {
                sha.update(data: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }

        public func finalize() -> String {
            var copy = self
            copy.append(copy.count)
            copy.sha.update(data: copy.buffer)
            return copy.sha.finalize().map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }

        private mutating func append(_ string: String) {
            let bytes = Array(string.utf8)
            append(Int64(bytes.count))
            buffer += bytes
        }

        private mutating func append(_ value: Int64) {
            withUnsafeBytes(of: value.littleEndian) { buffer += $0 }
        }

        private mutating func append(_ value: Double?) {
            guard let value else {
                buffer.append(0)
                return
            }
            buffer.append(1)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { buffer += $0 }
        }
    }
}
